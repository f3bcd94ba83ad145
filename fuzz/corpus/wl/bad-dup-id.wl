* * any - a id=5
* * any - b
* * any - c id=5
