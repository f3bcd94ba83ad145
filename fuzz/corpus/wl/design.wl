# who           service    where             expires     comment
203.0.113.10    tcp/443    AS15169           2027-01-01  OS updates (ticket 4711)
@mail-servers   tcp/25     any               -           outbound mail relays
*               udp/123    any               -           NTP
192.0.2.0/24    app:TLS    US                -           author=ana source=staff created=2026-11-01T10:00:00Z id=17
