#!/usr/bin/perl
# An echo server on a real listening socket made inside a netnsfs mount's namespace and handed
# over by the daemon (Netnsfs.pm beside this file, Socket::MsgHdr): an ordinary accept loop.
# usage: perl handoff-server.pl MOUNT PORT [COUNT]   (COUNT clients, then exit; default: forever)
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Netnsfs;

my ($mount, $port, $count) = @ARGV;
die "usage: perl handoff-server.pl MOUNT PORT [COUNT]\n" unless defined $port && @ARGV <= 3;
$count //= 0;
my $listener = Netnsfs::socket($mount, "tcp/listen/$port");
for (my $served = 0; $count == 0 || $served < $count; $served++) {
    accept(my $client, $listener) or die "accept: $!\n";
    while (sysread($client, my $buf, 65536)) {
        defined send($client, $buf, 0) or last;
    }
    close $client;
}
close $listener;
