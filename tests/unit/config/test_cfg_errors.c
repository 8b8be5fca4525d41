/* SPDX-License-Identifier: MIT */
/*
 * Bad configurations, table-driven: each must fail with an error at the exact line and column
 * of the offending token and a message saying what is wrong (docs/configuration.md,
 * "Diagnostics"). Also the error cap, limits, keys masked under another master key, and the
 * rule that no diagnostic ever holds a secret.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "node/config/cfg.h"
#include "node/core/buf.h"

/* A valid base: an IKEv2 proposal, an IPsec proposal and policy, context local with an IKE
 * policy. 14 lines. */
#define BASE                                  \
	"ike2 proposal p\n"                   \
	" encryption algorithm aes-128-gcm\n" \
	" dh-group 14\n"                      \
	"ipsec proposal e\n"                  \
	" esp encryption aes-128-gcm\n"       \
	"ipsec policy ip\n"                   \
	" seq 1 proposal e\n"                 \
	"context local\n"                     \
	" interface lo loopback\n"            \
	"  ip address 192.0.2.1/32\n"         \
	" interface t\n"                      \
	" ike2 policy k\n"                    \
	"  pre-shared-key x12345678\n"        \
	"  seq 1 proposal p\n"
#define BL 14

/* A static tunnel on BASE, lines BL+1 to BL+6; X1..X5 replace its statements. */
#define TUN(pep, bind, rid, ike, seq) \
	"tunnel ipsec t\n"            \
	" " pep "\n"                  \
	" " bind "\n"                 \
	" " rid "\n"                  \
	" " ike "\n"                  \
	" " seq "\n"
#define PEP    "peer-end-point local 192.0.2.1 remote 192.0.2.9"
#define BIND   "bind interface t"
#define RID    "remote-id 192.0.2.9"
#define IKE    "ike-policy k"
#define SEQ    "seq 1 ipsec-policy ip"
#define TUN_OK TUN(PEP, BIND, RID, IKE, SEQ)

/*
 * BASE plus two engine groups: context local uses g1, context L2 (with its own interface t2 and
 * IKE policy k2) uses g2: lines BL+1 to GL. TUN2 is a tunnel t2 in L2.
 */
#define GROUPS                             \
	"asp pool p1 service security\n"   \
	" asp 1/1\n"                       \
	"asp pool p2 service security\n"   \
	" asp 1/2\n"                       \
	"asp group g1\n"                   \
	" pool p1\n"                       \
	"asp group g2\n"                   \
	" pool p2\n"                       \
	"context local\n"                  \
	" asp-group g1 service security\n" \
	"context L2\n"                     \
	" asp-group g2 service security\n" \
	" interface t2\n"                  \
	" ike2 policy k2\n"                \
	"  pre-shared-key y12345678\n"     \
	"  seq 1 proposal p\n"
#define GL (BL + 16)
#define TUN2(pep)                \
	"tunnel ipsec t2\n"      \
	" " pep "\n"             \
	" bind interface t2\n"   \
	" remote-id 192.0.2.7\n" \
	" ike-policy k2\n"       \
	" seq 1 ipsec-policy ip\n"

struct bad {
	const char *name;
	const char *text;
	unsigned line, col;
	const char *phrase;
};

static const struct bad bad[] = {
        /* statements and blocks */
        {"unknown at top", "foo bar\n", 1, 1,
         "in 'top level': unknown statement 'foo' (expected one of: ike proposal, ike2 proposal"},
        {"unknown in a block lists what it accepts", "ike2 proposal p\n colour red\n", 2, 2,
         "in 'ike2 proposal p': unknown statement 'colour' (expected one of: description, "
         "dh-group, authentication, encryption, pseudo-random-function, lifetime)"},
        {"unknown in a tunnel", "tunnel ipsec t\n remote-address 1.2.3.4\n", 2, 2,
         "unknown statement 'remote-address' (expected one of: description, shutdown, "
         "peer-end-point"},
        {"IKEv1-only statement in ike2 proposal", "ike2 proposal p\n lifetime seconds 3600\n", 2, 2,
         "'lifetime' is an IKEv1 proposal statement; this is an IKEv2 proposal"},
        {"IKEv2-only statement in ike proposal", "ike proposal p\n pseudo-random-function x\n", 2,
         2, "'pseudo-random-function' is an IKEv2 proposal statement"},
        {"auth method in ike2 proposal", "ike2 proposal p\n authentication rsa-signature\n", 2, 2,
         "'authentication' is an IKEv1 proposal statement"},
        {"mode in ike2 policy", "context c\n ike2 policy k\n  mode main\n", 3, 3,
         "'mode' is an IKEv1 policy statement; this is an IKEv2 policy"},
        {"lifetime in ike policy", "context c\n ike policy k\n  lifetime 600\n", 3, 3,
         "'lifetime' is an IKEv2 policy statement"},
        {"duplicate statement", "ike2 proposal p\n dh-group 14\n dh-group 19\n", 3, 2,
         "'dh-group' is already set on line 2 (write it once)"},
        {"duplicate name", "ipsec proposal e\nipsec proposal e\n", 2, 16,
         "ipsec proposal 'e' is already defined on line 1"},
        {"invalid name", "ipsec proposal bad*name\n", 1, 16,
         "proposal name 'bad*name' is not a valid name (expected 1 to 63 characters"},
        {"missing argument", "ike2 proposal p\n dh-group\n", 2, 10, "missing dh-group"},
        {"exit with an argument", "context c\n exit now\n", 2, 7, "unexpected 'now'"},
        {"second cluster", "cluster a\n node n id 1 priority 1 address 10.0.0.1\ncluster b\n", 3, 1,
         "a second cluster block (the first is on line 1)"},
        /* lexical */
        {"unterminated quote", "context c\n description \"abc\n", 2, 14,
         "unterminated quote (expected a closing '\"' on the same line)"},
        {"quote inside a token", "context c\n description ab\"c\n", 2, 16,
         "a quote inside a token"},
        {"unknown escape", "context c\n description \"a\\qb\"\n", 2, 16,
         "unknown escape in a quoted token"},
        {"control character", "context c\x01\n", 1, 10, "control character 0x01"},
        /* ranges */
        {"dh-group unsupported", "ike2 proposal p\n dh-group 3\n", 2, 11,
         "dh-group 3 is not supported (expected 1, 2, 5, 14, 15, 16, 19, 20, 21 or 31)"},
        {"IKE lifetime range", "ike proposal p\n lifetime seconds 299\n", 2, 19,
         "lifetime 299 is out of range (expected 300-99999999 seconds)"},
        {"anti-replay-window too big", "ipsec policy P1\n anti-replay-window 5000\n", 2, 21,
         "in 'ipsec policy P1': anti-replay-window 5000 is out of range (expected 0 or "
         "32-4096)"},
        {"anti-replay-window too small", "ipsec policy P1\n anti-replay-window 16\n", 2, 21,
         "anti-replay-window 16 is out of range (expected 0 or 32-4096)"},
        {"mtu range", BASE TUN_OK " mtu 100\n", BL + 7, 6,
         "mtu 100 is out of range (expected 256-9216)"},
        {"SPI range", "ipsec security-association s\n both\n  esp spi 255\n", 3, 11,
         "esp spi 255 is out of range (expected 256-4294967295; RFC 4303 reserves 1-255)"},
        {"priority range", "cluster c\n node a id 1 priority 0 address 10.0.0.1\n", 2, 23,
         "priority 0 is out of range (expected 1-255)"},
        {"lease size range", "cluster c\n sequence-lease size 10\n", 2, 22,
         "size 10 is out of range (expected 1024-16777216)"},
        {"cookie-threshold 0", "ike cookie-threshold 0\n", 1, 22,
         "in 'ike cookie-threshold': cookie-threshold 0 is out of range (expected 1-100000 "
         "half-open IKE SAs)"},
        {"cookie-threshold too big", "ike cookie-threshold 100001\n", 1, 22,
         "cookie-threshold 100001 is out of range (expected 1-100000 half-open IKE SAs)"},
        {"cookie-threshold not a number", "ike cookie-threshold many\n", 1, 22,
         "cookie-threshold 'many' is not a number (expected 1-100000 half-open IKE SAs)"},
        {"cookie-threshold missing", "ike cookie-threshold\n", 1, 21, "missing cookie-threshold"},
        {"cookie-threshold with more", "ike cookie-threshold 10 20\n", 1, 25,
         "unexpected '20' (expected the end of the statement)"},
        {"cookie-threshold twice", "ike cookie-threshold 10\nike cookie-threshold 20\n", 2, 1,
         "in 'ike cookie-threshold': 'ike cookie-threshold' is already set on line 1 (write it "
         "once)"},
        {"metrics without port", "metrics listen 127.0.0.1\n", 1, 16,
         "in 'metrics listen': '127.0.0.1' is not ADDRESS:PORT (e.g. 127.0.0.1:9531)"},
        {"metrics port 0", "metrics listen 127.0.0.1:0\n", 1, 16,
         "'127.0.0.1:0': the port must be 1-65535"},
        {"metrics port too big", "metrics listen 127.0.0.1:65536\n", 1, 16,
         "'127.0.0.1:65536': the port must be 1-65535"},
        {"metrics bad address", "metrics listen localhost:9531\n", 1, 16,
         "'localhost:9531': the address is not an IPv4 or IPv6 address"},
        {"metrics IPv6 without brackets", "metrics listen ::1:9531\n", 1, 16,
         "'::1:9531': write an IPv6 address in brackets, as [::1]:9531"},
        {"metrics missing", "metrics listen\n", 1, 15, "missing 'ADDRESS:PORT'"},
        {"metrics with more", "metrics listen 127.0.0.1:1 x\n", 1, 28,
         "unexpected 'x' (expected the end of the statement)"},
        {"metrics twice", "metrics listen 127.0.0.1:1\nmetrics listen 127.0.0.1:2\n", 2, 1,
         "'metrics listen' is already set on line 1 (write it once)"},
        {"retransmit base too small", "ike retransmit base 99\n", 1, 21,
         "in 'ike retransmit': base 99 is out of range (expected 100-60000 milliseconds)"},
        {"retransmit base too big", "ike retransmit tries 3 base 60001\n", 1, 29,
         "base 60001 is out of range (expected 100-60000 milliseconds)"},
        {"retransmit tries 0", "ike retransmit base 500 tries 0\n", 1, 31,
         "tries 0 is out of range (expected 1-20 sends)"},
        {"retransmit tries too many", "ike retransmit tries 21\n", 1, 22,
         "tries 21 is out of range (expected 1-20 sends)"},
        {"retransmit without parts", "ike retransmit\n", 1, 15, "missing 'base MS' or 'tries N'"},
        {"retransmit unknown part", "ike retransmit count 3\n", 1, 16,
         "retransmit 'count' is not valid (expected base, tries)"},
        {"retransmit part twice", "ike retransmit base 500 base 600\n", 1, 25,
         "'base' is written twice"},
        {"retransmit value missing", "ike retransmit base\n", 1, 20, "missing base"},
        {"retransmit twice, the first inside a context",
         "context c\n ike retransmit tries 3\nike retransmit base 200\n", 3, 1,
         "'ike retransmit' is already set on line 2 (write it once)"},
        {"a global statement closes the context",
         "context c\n ike cookie-threshold 5\n description late\n", 3, 2,
         "in 'top level': unknown statement 'description'"},
        {"esn twice", "ipsec proposal e\n esn\n no esn\n", 3, 2,
         "in 'ipsec proposal e': 'no esn' is already set on line 2 (write it once)"},
        {"esn with an argument", "ipsec proposal e\n esn yes\n", 2, 6,
         "unexpected 'yes' (expected the end of the statement)"},
        {"no esn with an argument", "ipsec proposal e\n no esn please\n", 2, 9,
         "unexpected 'please'"},
        {"esn outside a proposal", "ipsec policy p\n esn\n", 2, 2,
         "in 'ipsec policy p': unknown statement 'esn'"},
        /* algorithms */
        {"unknown algorithm", "ike2 proposal p\n encryption algorithm rot13\n", 2, 23,
         "'rot13' is not an encryption algorithm (expected des-cbc, 3des-cbc"},
        {"AEAD in IKEv1", "ike proposal p\n encryption algorithm aes-128-gcm\n", 2, 23,
         "aes-128-gcm cannot be used in an IKEv1 proposal"},
        {"AEAD with explicit integrity (IKE)",
         "ike2 proposal p\n encryption algorithm aes-128-gcm\n authentication algorithm "
         "hmac-sha1-96\n",
         3, 2, "aes-128-gcm carries its own integrity; remove 'authentication algorithm'"},
        {"AEAD with explicit integrity (ESP)",
         "ipsec proposal e\n esp encryption aes-256-gcm\n esp authentication hmac-sha1-96\n", 3, 2,
         "aes-256-gcm carries its own integrity; remove 'esp authentication'"},
        {"ESP null and none", "ipsec proposal e\n esp encryption null\n esp authentication none\n",
         3, 2, "ESP with null encryption and no integrity protects nothing (RFC 4303 §3.2"},
        /* references */
        {"undefined ike-policy", BASE TUN(PEP, BIND, RID, "ike-policy nope", SEQ), BL + 5, 13,
         "in 'tunnel ipsec t': ike-policy 'nope' is not defined in context local (defined "
         "there: k)"},
        {"undefined ipsec-policy", BASE TUN(PEP, BIND, RID, IKE, "seq 1 ipsec-policy nope"), BL + 6,
         21, "ipsec-policy 'nope' is not defined (defined: ip)"},
        {"undefined access-group",
         BASE TUN(PEP, BIND, RID, IKE, "seq 1 ipsec-policy ip access-group nope"), BL + 6, 37,
         "access-group 'nope' is not defined in context local (defined there: none)"},
        {"undefined bind interface", BASE TUN(PEP, "bind interface nope", RID, IKE, SEQ), BL + 3,
         17, "interface 'nope' is not defined in context local (defined there: lo, t)"},
        {"undefined signalling context", BASE TUN(PEP " context nope", BIND, RID, IKE, SEQ), BL + 2,
         58, "context 'nope' is not defined"},
        {"undefined proposal",
         "context c\n ike2 policy k\n  pre-shared-key x\n  seq 1 proposal nope\n", 4, 18,
         "proposal 'nope' is not defined (defined: none)"},
        {"undefined pool", "asp group g\n pool nope\n", 2, 7,
         "pool 'nope' is not defined (defined: none)"},
        {"undefined asp-group", "context c\n asp-group nope service security\n", 2, 12,
         "asp-group 'nope' is not defined"},
        {"undefined route interface", "context c\n ip route 10.0.0.0/8 nope\n", 2, 22,
         "interface 'nope' is not defined in context c"},
        {"undefined security-association",
         BASE "tunnel ipsec m manual\n peer-end-point local 192.0.2.1 remote 192.0.2.8\n bind "
              "interface t\n seq 1 security-association nope\n",
         BL + 4, 29, "security-association 'nope' is not defined (defined: none)"},
        {"undefined qos policy", BASE TUN_OK " qos policy queuing nope\n", BL + 7, 21,
         "qos policy 'nope' is not defined"},
        {"undefined unnumbered interface",
         "context c\n interface mb ipsec multibind\n  ip unnumbered nope\n", 3, 17,
         "interface 'nope' is not defined in context c"},
        {"proposal of the other IKE version",
         "ike proposal v1\ncontext c\n ike policy k\n  pre-shared-key x\n  seq 1 proposal q\n"
         "ike2 proposal q\n",
         5, 18, "proposal 'q' is an IKEv2 proposal; an IKEv1 policy takes IKEv1 proposals"},
        /* tunnel rules */
        {"static and on-demand share a remote identity",
         BASE "context local\n interface mb ipsec multibind\n  ip unnumbered lo\n ike2 policy od\n"
              "  identity remote 192.0.2.9\n  pre-shared-key y12345678\n  seq 1 proposal p\n"
              " ipsec profile od-t\n  seq 1 ipsec-policy ip\n" TUN_OK
              "tunnel ipsec od-t on-demand\n peer-end-point local 192.0.2.1\n bind interface "
              "mb\n ike-policy od\n",
         BL + 19, 13,
         "remote identity 192.0.2.9 is used by static tunnel t and by this on-demand tunnel"},
        {"use-aaa on a static tunnel",
         BASE "context local\n ike2 policy a\n  pre-shared-key use-aaa\n  seq 1 proposal p\n" TUN(
                 PEP, BIND, RID, "ike-policy a", SEQ),
         BL + 9, 13,
         "uses 'pre-shared-key use-aaa', which only on-demand tunnels can (seed 004 §7)"},
        {"wildcard remote identity on a static tunnel",
         BASE "context local\n ike2 policy w\n  identity remote *\n  pre-shared-key x\n"
              "  seq 1 proposal p\n" TUN(PEP, BIND, RID, "ike-policy w", SEQ),
         BL + 10, 13, "has a wildcard 'identity remote', which only on-demand tunnels can use"},
        {"manual tunnel needs an SA", "tunnel ipsec m manual\n seq 1 ipsec-policy ip\n", 2, 23,
         "missing 'security-association SA' (seed 004 §9.4)"},
        {"static tunnel with an SA",
         "tunnel ipsec s\n seq 1 ipsec-policy ip security-association x\n", 2, 45,
         "a static tunnel negotiates its SAs"},
        {"on-demand tunnel needs its profile",
         BASE "context local\n interface mb ipsec multibind\n  ip unnumbered lo\n"
              "tunnel ipsec od on-demand\n peer-end-point local 192.0.2.1\n bind interface mb\n"
              " ike-policy k\n",
         BL + 4, 1, "no 'ipsec profile od' in context local"},
        {"on-demand tunnel needs a multibind interface",
         BASE "tunnel ipsec od on-demand\n peer-end-point local 192.0.2.1\n bind interface t\n"
              " ike-policy k\n",
         BL + 3, 17, "an on-demand tunnel binds an 'ipsec multibind' interface, and t is not one"},
        {"remote-id on an on-demand tunnel", "tunnel ipsec od on-demand\n remote-id 1.2.3.4\n", 2,
         2, "an on-demand tunnel takes no 'remote-id'"},
        {"ike-policy on a manual tunnel", "tunnel ipsec m manual\n ike-policy k\n", 2, 2,
         "a manual tunnel takes no 'ike-policy'"},
        {"max-tunnels on a static tunnel", "tunnel ipsec s\n max-tunnels 5\n", 2, 2,
         "a static tunnel takes no 'max-tunnels'"},
        {"static tunnel needs a remote-id",
         BASE "tunnel ipsec t\n " PEP "\n " BIND "\n " IKE "\n " SEQ "\n", BL + 1, 1,
         "missing 'remote-id ID' (seed 004 §9.2)"},
        {"on-demand and manual", "tunnel ipsec x on-demand manual\n", 1, 26,
         "'on-demand' and 'manual' exclude each other"},
        {"two static tunnels IKE cannot tell apart",
         BASE "context local\n interface t2\n" TUN_OK "tunnel ipsec t2\n " PEP
              "\n bind interface t2\n " RID "\n " IKE "\n " SEQ "\n",
         BL + 12, 12, "tunnel t2 has the same local endpoint and remote-id as tunnel t"},
        {"interface bound twice",
         BASE TUN_OK "tunnel ipsec t2\n peer-end-point local 192.0.2.1 remote 192.0.2.7\n " BIND
                     "\n remote-id 192.0.2.7\n " IKE "\n " SEQ "\n",
         BL + 9, 17, "interface t is already bound to tunnel t"},
        {"one local endpoint, two engine groups",
         BASE GROUPS TUN_OK TUN2("peer-end-point local 192.0.2.1 remote 192.0.2.7 context L2"),
         GL + 8, 2,
         "in 'tunnel ipsec t2': local endpoint 192.0.2.1 is already served by engine group g1 "
         "(tunnel t); this tunnel's context L2 uses g2"},
        {"one IPv6 local endpoint written two ways, two engine groups",
         BASE GROUPS
         "tunnel ipsec t\n peer-end-point local 2001:db8::1 remote 2001:db8::9\n " BIND
         "\n remote-id 192.0.2.9\n " IKE "\n " SEQ "\n"
         "tunnel ipsec t2\n peer-end-point local 2001:0db8:0::0:1 remote 2001:db8::7 context "
         "L2\n bind interface t2\n remote-id 192.0.2.7\n ike-policy k2\n seq 1 ipsec-policy "
         "ip\n",
         GL + 8, 2,
         "local endpoint 2001:db8::1 is already served by engine group g1 (tunnel t); this "
         "tunnel's context L2 uses g2"},
        /* addresses, prefixes, identities, ACLs */
        {"prefix with host bits", "context c\n ip route 10.1.2.3/8 10.0.0.1\n", 2, 11,
         "route prefix '10.1.2.3/8' has host bits set beyond the prefix length"},
        {"prefix length", "context c\n ip route 10.0.0.0/33 10.0.0.1\n", 2, 11,
         "has a bad prefix length (expected /0 to /32)"},
        {"next hop family", "context c\n ip route 10.0.0.0/8 2001:db8::1\n", 2, 22,
         "the next hop is not of the prefix's address family"},
        {"wildcard local identity", "context c\n ike2 policy k\n  identity local *.example.com\n",
         3, 18, "is a wildcard, which only an on-demand policy's 'identity remote' may use"},
        {"key-id not hex", "context c\n ike2 policy k\n  identity remote key-id xyz\n", 3, 26,
         "is not hex"},
        {"neq port condition", "context c\n ipsec access-list a\n  seq 1 tcp any neq 80 any\n", 3,
         17, "'neq' cannot be written as an IKEv2 traffic selector"},
        {"port condition without a port protocol",
         "context c\n ipsec access-list a\n  seq 1 icmp any eq 8 any\n", 3, 18,
         "a port condition needs protocol tcp, udp or sctp"},
        /* IKE policies */
        {"IKEv2 policy without a key",
         "context c\n ike2 policy k\n  seq 1 proposal p\n"
         "ike2 proposal p\n",
         2, 2, "no 'pre-shared-key'"},
        {"IKEv1 policy without a key",
         "ike proposal p1\ncontext c\n ike policy k\n  seq 1 "
         "proposal p1\n",
         3, 2, "no 'pre-shared-key' (expected one: a proposal of this policy authenticates"},
        {"address-allocation without responder-only",
         "context c\n ike2 policy k\n  pre-shared-key x\n  address-allocation aaa\n", 4, 3,
         "'address-allocation aaa' needs 'connection-type responder-only'"},
        {"duplicate seq",
         "ipsec proposal a\nipsec proposal b\nipsec policy p\n seq 1 proposal a\n"
         " seq 1 proposal b\n",
         5, 6, "seq 1 is already used (by proposal 'a')"},
        {"proposal listed twice",
         "ipsec proposal a\nipsec policy p\n seq 1 proposal a\n seq 2 "
         "proposal a\n",
         4, 17, "proposal 'a' is already listed at seq 1"},
        /* interfaces and engines */
        {"unnumbered on a plain interface", "context c\n interface i\n  ip unnumbered lo\n", 3, 3,
         "'ip unnumbered' is only for 'ipsec multibind' interfaces"},
        {"multibind without unnumbered", "context c\n interface mb ipsec multibind\n", 2, 2,
         "an ipsec multibind interface must be unnumbered"},
        {"asp-count above the pool",
         "asp pool p service security\n asp 1/1\nasp group g\n pool p\n"
         " asp-count 2\n",
         3, 1, "asp-count 2 is more than pool p's 1 engine"},
        {"same engine twice", "asp pool p service security\n asp 1/1\n asp 1/1\n", 3, 6,
         "asp 1/1 is already in the pool"},
        {"bad engine slot", "asp pool p service security\n asp one\n", 2, 6,
         "'one' is not an engine slot"},
        /* manual SAs and keys */
        {"key length",
         "ipsec security-association s\n both\n  esp spi 300\n  esp encryption "
         "aes-128-cbc key hex 0011\n",
         4, 38, "the key for aes-128-cbc is 2 bytes (expected 16)"},
        {"both with in",
         "ipsec security-association s\n both\n  esp spi 300\n  esp encryption "
         "null\n  esp authentication hmac-sha1-96 key 01234567890123456789\n in\n",
         6, 2, "'both' cannot be used with 'in' or 'out'"},
        {"in without out",
         "ipsec security-association s\n in\n  esp spi 300\n  esp encryption "
         "null\n  esp authentication hmac-sha1-96 key 01234567890123456789\n",
         1, 1, "'in' without 'out'"},
        {"masked key that is not one",
         "context c\n ike2 policy k\n  pre-shared-key masked-key AAAA\n", 3, 29,
         "not a valid masked key"},
        {"<hidden> is not a key", "context c\n ike2 policy k\n  pre-shared-key <hidden>\n", 3, 18,
         "stands for a key in a printout made without the master key"},
        /* cluster */
        {"node id used twice",
         "cluster c\n node a id 1 priority 1 address 10.0.0.1\n node b id 1 priority 2 address "
         "10.0.0.2\n virtual-address 10.0.0.9/24 interface eth0\n",
         3, 7, "node id 1 is already used by node a"},
        {"cluster without a virtual address",
         "cluster c\n node a id 1 priority 1 address 10.0.0.1\n node b id 2 priority 2 address "
         "10.0.0.2\n",
         1, 1, "no 'virtual-address'"},
        {"cluster without nodes", "cluster c\n", 1, 1, "no 'node'"},
        {"VIP on a bad interface name",
         "cluster c\n node a id 1 priority 1 address 10.0.0.1\n virtual-address 10.0.0.9/24 "
         "interface way-too-long-name0\n",
         3, 40, "is not a Linux interface name"},
};

static void
test_bad_table(void **state)
{
	(void)state;
	assert_true(sizeof(bad) / sizeof(bad[0]) >= 40);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		struct cfg_diags d;
		struct cfg *c = NULL;
		int rc;

		cfg_diags_init(&d);
		rc = cfgt_parse(b->text, &c, &d);
		if (rc != -EINVAL || c ||
		    !cfgt_find(&d, CFG_DIAG_ERROR, b->line, b->col, b->phrase))
			fail_msg("case '%s': rc %d, expected %u:%u '%s'; got:\n%s", b->name, rc,
			         b->line, b->col, b->phrase, cfgt_diags_text(&d));
		for (size_t k = 0; k < d.n; k++)
			assert_true(strncmp(d.v[k].msg, "in '", 4) == 0);
		cfg_diags_fini(&d);
	}
}

/* ---- limits --------------------------------------------------------------------------------- */

static int
parse_generated(const char *head, const char *pre, const char *mid, unsigned n, struct cfg_diags *d)
{
	struct buf b;
	struct cfg *c = NULL;
	int rc;

	buf_init(&b, false);
	buf_put_str(&b, head);
	for (unsigned i = 1; i <= n; i++)
		buf_printf(&b, "%s%u%s%u\n", pre, i, mid, i);
	buf_put_u8(&b, '\0');
	cfg_diags_init(d);
	rc = cfgt_parse((const char *)b.b_data, &c, d);
	buf_fini(&b);
	cfg_free(c);
	return rc;
}

static void
test_limits(void **state)
{
	struct cfg_diags d;

	(void)state;
	/* 17 proposals in an IKE policy: line 2 + 17 = 19, the 17th seq */
	assert_int_equal(
	        parse_generated("context c\n ike2 policy k\n", "  seq ", " proposal p", 17, &d),
	        -EINVAL);
	assert_non_null(cfgt_find(&d, CFG_DIAG_ERROR, 19, 3, "more than 16 proposals"));
	cfg_diags_fini(&d);
	/* 9 seqs in a tunnel */
	assert_int_equal(parse_generated("tunnel ipsec t\n", " seq ", " ipsec-policy p", 9, &d),
	                 -EINVAL);
	assert_non_null(cfgt_find(&d, CFG_DIAG_ERROR, 10, 2, "more than 8 seq entries"));
	cfg_diags_fini(&d);
	/* 150 errors: parsing stops after 100 */
	assert_int_equal(parse_generated("", "bogus", " ", 150, &d), -EINVAL);
	assert_int_equal(d.nerrors, 100);
	assert_string_equal(d.v[d.n - 1].msg, "in 'file': too many errors (100); stopping here");
	assert_int_equal(d.v[d.n - 1].line, 100);
	cfg_diags_fini(&d);
}

/* More than 1000 warnings: the rest are counted in one last line, and the file still loads. */
static void
test_warning_cap(void **state)
{
	struct cfg_diags d;

	(void)state;
	assert_int_equal(parse_generated("", "logging ", " x", 1200, &d), 0);
	assert_int_equal(d.nwarnings, 1200);
	assert_int_equal(d.n, 1001);
	assert_string_equal(d.v[1000].msg, "in 'file': 200 more warnings are not shown");
	cfg_diags_fini(&d);
}

static void
test_long_line(void **state)
{
	size_t n = 5000;
	char *text = malloc(n + 32);
	struct cfg_diags d;
	struct cfg *c = NULL;

	(void)state;
	memcpy(text, "context c\n description ", 23);
	memset(text + 23, 'x', n);
	strcpy(text + 23 + n, "\n");
	cfg_diags_init(&d);
	assert_int_equal(cfgt_parse(text, &c, &d), -EINVAL);
	assert_non_null(cfgt_find(&d, CFG_DIAG_ERROR, 2, 1, "(expected at most 4096)"));
	cfg_diags_fini(&d);
	free(text);
}

/* Warnings never block loading; cfg->nwarnings counts them. */
static void
test_warnings_load(void **state)
{
	struct cfg_diags d;
	struct cfg *c = NULL;

	(void)state;
	cfg_diags_init(&d);
	assert_int_equal(cfgt_parse("card ase 1\nike proposal p\n encryption algorithm des-cbc\n"
	                            " dh-group 2\n",
	                            &c, &d),
	                 0);
	assert_non_null(c);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(c->nwarnings, 3);
	assert_int_equal(d.nwarnings, 3);
	cfg_free(c);
	cfg_diags_fini(&d);
}

/* ---- keys ------------------------------------------------------------------------------------ */

static void
test_other_master_key(void **state)
{
	static const uint8_t key[] = "a key masked elsewhere";
	const struct cfg_mask_key *other = cfgt_mk_other(), *mine = cfgt_mk();
	char text[512], phrase[128];
	struct cfg_diags d;
	struct cfg *c = NULL;
	struct buf b;

	(void)state;
	buf_init(&b, false);
	assert_int_equal(cfg_mask(other, key, sizeof(key) - 1, &b), 0);
	snprintf(text, sizeof(text),
	         "context c\n ike2 policy k\n  pre-shared-key masked-key %.*s\n", (int)b.b_len,
	         (const char *)b.b_data);
	buf_fini(&b);
	snprintf(phrase, sizeof(phrase),
	         "the key was masked with master key %02x%02x%02x%02x, not with this node's "
	         "%02x%02x%02x%02x",
	         other->id[0], other->id[1], other->id[2], other->id[3], mine->id[0], mine->id[1],
	         mine->id[2], mine->id[3]);
	cfg_diags_init(&d);
	assert_int_equal(cfgt_parse(text, &c, &d), -EINVAL);
	assert_non_null(cfgt_find(&d, CFG_DIAG_ERROR, 3, 29, phrase));
	cfg_diags_fini(&d);
	/* without any master key, a masked key cannot be read */
	cfg_diags_init(&d);
	assert_int_equal(cfg_parse("x", text, strlen(text), NULL, &c, &d), -EINVAL);
	assert_non_null(cfgt_find(&d, CFG_DIAG_ERROR, 3, 29, "needs the cluster's master key"));
	cfg_diags_fini(&d);
}

/* No diagnostic ever holds a key, wherever the error is (docs: "Secrets"). */
static void
test_no_secret_in_diagnostics(void **state)
{
#define S "Sup3rSecretPSK"
	static const char *const texts[] = {
	        "context c\n ike2 policy k\n  pre-shared-key " S " extra words\n",
	        "context c\n ike2 policy k\n  pre-shared-key " S "\n  pre-shared-key " S "\n",
	        "pre-shared-key " S "\n",
	        "context c\n ike2 policy k\n  pre-shared-key\n" S "\n",
	        "context c\n ike2 policy k\n  pre-shared-key hex " S "\n",
	        "context c\n ike2 policy k\n  pre-shared-key masked-key " S "\n",
	        "context c\n ike2 policy k\n  pre-shared-key \"" S "\n",
	        "context c\n ike2 policy k\n  pre-shared-key " S "\x01\n",
	        "ipsec security-association s\n both\n  esp encryption aes-128-cbc key " S "\n",
	        "ipsec security-association s\n both\n  esp encryption aes-128-cbc key " S " x\n",
	        "ipsec security-association s\n both\n  esp encryption aes-128-cbc\n" S "\n",
	        "ipsec security-association s\n both\n  ah hmac-sha1-96 hex " S "\n",
	        "ipsec security-association s\n both\n  esp authentication hmac-sha1-96 key " S
	        "\n",
	        "ipsec security-association s\n both\n  esp encryption null " S "\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cfg_diags d;
		struct cfg *c = NULL;
		char *all;

		cfg_diags_init(&d);
		assert_int_not_equal(cfgt_parse(texts[i], &c, &d), 0);
		all = cfgt_diags_text(&d);
		if (strstr(all, S) || strstr(all, "Sup3r"))
			fail_msg("case %zu leaks the key:\n%s", i, all);
		free(all);
		cfg_diags_fini(&d);
	}
#undef S
}

/* cfg_load_file: a golden file loads; an unreadable one is one error at 1:1. */
static void
test_load_file(void **state)
{
	char path[4096];
	struct cfg_diags d;
	struct cfg *c = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/configs/minimal.conf", TANDEM_SOURCE_DIR);
	cfg_diags_init(&d);
	assert_int_equal(cfg_load_file(path, cfgt_mk(), &c, &d), 0);
	assert_non_null(cfg_find_tunnel(c, "t1"));
	assert_string_equal(d.file, path);
	cfg_free(c);
	cfg_diags_fini(&d);
	cfg_diags_init(&d);
	assert_int_equal(cfg_load_file("/nonexistent/tandem.conf", cfgt_mk(), &c, &d), -ENOENT);
	assert_null(c);
	assert_int_equal(d.nerrors, 1);
	assert_non_null(cfgt_find(&d, CFG_DIAG_ERROR, 1, 1, "in 'file': cannot open the file"));
	cfg_diags_fini(&d);
	cfg_diags_init(&d);
	assert_int_equal(cfg_load_file("/", cfgt_mk(), &c, &d), -EISDIR);
	assert_int_equal(d.nerrors, 1);
	cfg_diags_fini(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bad_table),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_warning_cap),
	        cmocka_unit_test(test_long_line),
	        cmocka_unit_test(test_warnings_load),
	        cmocka_unit_test(test_other_master_key),
	        cmocka_unit_test(test_no_secret_in_diagnostics),
	        cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests_name("cfg_errors", tests, NULL, NULL);
}
