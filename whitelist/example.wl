# who           service    where             expires     comment
# whitelist/example.wl - an EXAMPLE whitelist, flowsentry.whitelist(5).
# It allows a few infrastructure services to every server; copy it, adapt
# it to your own networks and name it in flowsentry.conf(5):
#
#   [detect]
#   whitelist = /etc/flowsentry/whitelist/*.wl
#
# One entry per line: who may talk to which service where, until when, and
# why.  The first entry that allows a connection wins.

# Time and name service, to anywhere.
*               udp/123    any               -           NTP
*               udp/53     any               -           DNS
*               tcp/53     any               -           DNS over TCP (large answers)

# The other forms, as comments (a group must exist in flowsentry.conf):
# @mail-servers   tcp/25     any               -           outbound mail relays
# 203.0.113.10    tcp/443    AS15169           2027-01-01  OS updates (ticket 4711)
# 192.0.2.0/24    app:TLS    US                -           author=ana id=17
# 2001:db8::/32   tcp/*      2001:db8:ff::/48  2027-06-30T18:00:00Z  replication
