10.0.0.5 tcp/22 any - id=40
10.0.0.0/8 * any - id=30
@db tcp/22 any - id=20
* app:SSH any -
* tcp/22 any 2027-01-15 id=50 source=learned
2001:db8::/48 tcp/22 2001:db8::/32 - v6
