* * any - see id=4 here author=a author=b
* * any 2027-02-29
