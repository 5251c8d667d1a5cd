// Unit tests: iptables rules as data, and reading our tagged rules back from `iptables -S`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaggedRules, ruleArgs, rulesFor, splitShellWords } from '../../src/host/firewall/iptables.ts';
import { ruleComment } from '../../src/host/firewall/tag.ts';
import { commandLine } from '../../src/host/firewall/tools.ts';
import { parseCidr } from '../../src/host/cidr.ts';

describe('rule builders', () => {
  const rule = { family: 4 as const, port: 51000, source: undefined, comment: ruleComment(4242, 51000) };

  it('inserts at the top of INPUT, tagged with share-file, the pid and the port', () => {
    assert.deepEqual(ruleArgs('insert', rule), ['-w', '5', '-I', 'INPUT', '1', '-p', 'tcp', '--dport', '51000', '-m', 'comment', '--comment', 'share-file pid=4242 port=51000', '-j', 'ACCEPT']);
  });

  it('deletes by the same specification', () => {
    assert.deepEqual(ruleArgs('delete', rule), ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '--dport', '51000', '-m', 'comment', '--comment', 'share-file pid=4242 port=51000', '-j', 'ACCEPT']);
  });

  it('restricts the source with --allow', () => {
    assert.deepEqual(ruleArgs('insert', { ...rule, source: '10.0.0.0/8' }).slice(5, 9), ['-p', 'tcp', '-s', '10.0.0.0/8']);
  });

  it('makes one rule per port and family, or per allowed source of that family', () => {
    assert.equal(rulesFor([1, 2], 7, [4, 6], []).length, 4);
    const allowed = rulesFor([1, 2], 7, [4, 6], [parseCidr('10.0.0.0/8'), parseCidr('192.0.2.0/24'), parseCidr('2001:db8::/32')]);
    assert.deepEqual(
      allowed.map((r) => `${r.family} ${r.port} ${r.source}`),
      ['4 1 10.0.0.0/8', '4 1 192.0.2.0/24', '6 1 2001:db8::/32', '4 2 10.0.0.0/8', '4 2 192.0.2.0/24', '6 2 2001:db8::/32'],
    );
    assert.deepEqual(rulesFor([1], 7, [4, 6], [parseCidr('10.0.0.0/8')]).map((r) => r.family), [4], 'no IPv6 rule when only IPv4 sources are allowed');
  });

  it('prints a command a person can paste', () => {
    assert.equal(commandLine({ tool: 'iptables', args: ruleArgs('delete', rule) }, true), "sudo iptables -w 5 -D INPUT -p tcp --dport 51000 -m comment --comment 'share-file pid=4242 port=51000' -j ACCEPT");
  });
});

describe('parseTaggedRules', () => {
  const listing = [
    '-P INPUT ACCEPT',
    '-A INPUT -p tcp -m tcp --dport 51001 -m comment --comment "share-file pid=99 port=51001" -j ACCEPT',
    '-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 51000 -m comment --comment "share-file pid=99 port=51000" -j ACCEPT',
    '-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "ssh \\"admin\\"" -j ACCEPT',
    '-A INPUT -p tcp -m tcp --dport 80 -m comment --comment "share-file-ish pid=1 port=80" -j ACCEPT',
    '-A INPUT -j REJECT --reject-with icmp-port-unreachable',
  ].join('\n');

  it('finds only our tagged rules, with the arguments that delete each', () => {
    assert.deepEqual(parseTaggedRules(listing), [
      { pid: 99, port: 51001, deleteArgs: ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '-m', 'tcp', '--dport', '51001', '-m', 'comment', '--comment', 'share-file pid=99 port=51001', '-j', 'ACCEPT'] },
      { pid: 99, port: 51000, deleteArgs: ['-w', '5', '-D', 'INPUT', '-s', '10.0.0.0/8', '-p', 'tcp', '-m', 'tcp', '--dport', '51000', '-m', 'comment', '--comment', 'share-file pid=99 port=51000', '-j', 'ACCEPT'] },
    ]);
  });

  it('splits quoted words with escapes as iptables writes them', () => {
    assert.deepEqual(splitShellWords('-m comment --comment "ssh \\"admin\\"" -j ACCEPT'), ['-m', 'comment', '--comment', 'ssh "admin"', '-j', 'ACCEPT']);
  });
});
