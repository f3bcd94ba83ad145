  # indented comment   
* TCP/443	as15169 2027-01-02T00:00:00Z   a   b  
#who service where expires comment
   192.0.2.1/32 17/53 203.0.113.9/32 2027-01-01T00:00:00+01:00
* 6/* us - source=staff author=x
* app:tls * 2027-01-01T12:00:00.5000Z id=9
* 1/8 any 2027-01-01T12:00:00.000Z
fd00:0:0::1 * FD00::0/16 -
# trailer   
