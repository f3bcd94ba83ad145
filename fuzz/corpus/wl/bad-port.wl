* tcp/99999 any - x
