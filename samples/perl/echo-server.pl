#!/usr/bin/perl
# An echo server listening inside a netnsfs mount's namespace: each open of tcp/listen/PORT
# accepts one client, whose bytes are sent back until it closes (or half-closes).
# usage: perl echo-server.pl MOUNT PORT [COUNT]   (COUNT clients, then exit; default: forever)
use strict;
use warnings;
use Fcntl qw(O_RDWR);

my ($mount, $port, $count) = @ARGV;
die "usage: perl echo-server.pl MOUNT PORT [COUNT]\n" unless defined $port && @ARGV <= 3;
$count //= 0;
for (my $served = 0; $count == 0 || $served < $count; $served++) {
    sysopen(my $client, "$mount/tcp/listen/$port", O_RDWR) or die "listen: $!\n"; # waits for a client
    while (sysread($client, my $buf, 65536)) {
        defined syswrite($client, $buf) or last;
    }
    close $client;
}
