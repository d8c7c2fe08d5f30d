#!/usr/bin/perl
# HTTP GET through a netnsfs mount: the TCP connection is made inside the mount's namespace.
# usage: perl http-get.pl MOUNT HOST PORT [PATH]
use strict;
use warnings;
use Fcntl qw(O_RDWR);

my ($mount, $host, $port, $path) = @ARGV;
die "usage: perl http-get.pl MOUNT HOST PORT [PATH]\n" unless defined $port && @ARGV <= 4;
$path //= '/';
sysopen(my $conn, "$mount/tcp/$host/$port", O_RDWR) or die "$mount/tcp/$host/$port: $!\n"; # connect(2)
my $request = "GET $path HTTP/1.0\r\nHost: $host\r\nConnection: close\r\n\r\n";
defined syswrite($conn, $request) or die "write: $!\n";
binmode STDOUT;
while (1) {
    my $n = sysread($conn, my $buf, 65536);     # recv(2); 0 when the server closes
    die "read: $!\n" unless defined $n;
    last if $n == 0;
    print $buf;
}
close $conn;
