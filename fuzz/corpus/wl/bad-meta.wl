* * any - id=1 source=robot
