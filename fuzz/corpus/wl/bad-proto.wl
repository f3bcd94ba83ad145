* tpc/443 any -
