* udp/123 any - NTP
# note

10.0.0.1/8 * any -
