#!/usr/bin/perl
# sisimai-json.pl - Sisimai's verdicts as JSON lines in the format score.py
# reads, so bouncewatch and Sisimai are scored the same way on the same files:
#   perl tests/bench/sisimai-json.pl FILE... > sisimai.jsonl
use strict;
use warnings;
use Sisimai;
use JSON::PP;
use File::Basename;

my $json = JSON::PP->new->canonical;
for my $file (@ARGV) {
    my $data = Sisimai->make($file, 'delivered' => 1, 'vacation' => 1) || [];
    my @events = map {
        {
            recipient => $_->recipient->address,
            reason    => $_->reason,
            status    => $_->deliverystatus,
            reply     => $_->replycode,
            hard      => (($_->softbounce // 1) == 0 ? JSON::PP::true : JSON::PP::false),
        }
    } @$data;
    print $json->encode({ file => basename($file), events => \@events }), "\n";
}
