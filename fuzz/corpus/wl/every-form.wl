# who           service    where                   expires               comment
# Infrastructure.

#   indented note
*               udp/123    any                     -
*               udp/53     any                     -                     DNS author=ana id=1
@mail-servers   tcp/25     AS64500                 2027-01-01            relays author=bo created=2026-11-01T10:00:00.500Z source=learned id=2
# v6
2001:db8::/32   tcp/*      2001:db8:ff:ee:dd::/80  2027-06-30T18:00:00Z  replication
10.1.2.3/32     icmp/2048  DE                      -                     id=3
192.0.2.7       app:TLS    198.51.100.1            -                     x=1 ok
*               esp/*      ::/0                    -
*               200/*      0.0.0.0/0               -                     source=learned
@web            sctp/9     ::ffff:198.51.100.0/120 2027-01-01T13:00:00+01:00
@db             dccp/1     as                      2016-12-31T23:59:60Z  leap second
::ffff:10.0.0.1 udplite/7  *                       9999-12-31            the last day
@nosuch         *          any                     -                     unknown group

# the end
