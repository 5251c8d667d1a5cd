// Unit tests: reading nft's ruleset as captured from real hosts, and the nftables and firewalld
// openings planned from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseCidr } from '../../src/host/cidr.ts';
import { firewalldOpenings, zonesOf } from '../../src/host/firewall/firewalld.ts';
import { nftOpenings, parseHandle, parseRuleset } from '../../src/host/firewall/nftables.ts';
import { findTool } from '../../src/host/firewall/tools.ts';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

describe('parseRuleset', () => {
  it('finds a native inet chain with policy drop, and tells iptables-nft\'s table apart', () => {
    // nft 1.0.6: `table inet filter` (input, policy drop, one tagged rule) and iptables-nft's `ip filter`.
    const picture = parseRuleset(fixture('nft-inet-drop-and-iptables-nft.json'));
    assert.deepEqual(picture.dropping, [{ family: 'inet', table: 'filter', chain: 'input' }]);
    assert.deepEqual(picture.iptablesNft, ['ip']);
    assert.equal(picture.ufw, false);
    assert.deepEqual(picture.tagged, [{ family: 'inet', table: 'filter', chain: 'input', handle: 4, pid: 1, port: 5000 }]);
  });

  it('leaves firewalld\'s own table to firewall-cmd, though its INPUT chain ends in reject', () => {
    // firewalld 1.3.3 (nftables backend), zone public, as it writes its ruleset.
    const picture = parseRuleset(fixture('nft-firewalld.json'));
    assert.deepEqual(picture.dropping, []);
    assert.deepEqual(picture.iptablesNft, []);
    assert.deepEqual(picture.tagged, []);
  });

  it('sees ufw\'s chains in iptables-nft\'s tables, and no native chain to open', () => {
    // ufw 0.36.2, enabled with its defaults (deny incoming), over iptables-nft 1.8.9.
    const picture = parseRuleset(fixture('nft-ufw.json'));
    assert.deepEqual(picture.dropping, []);
    assert.deepEqual(picture.iptablesNft.sort(), ['ip', 'ip6']);
    assert.equal(picture.ufw, true);
  });

  it('counts a last rule that drops or rejects everything, not one that matches something', () => {
    const ruleset = (expr: object[], policy = 'accept'): string => JSON.stringify({
      nftables: [
        { chain: { family: 'ip', table: 'fw', name: 'in', type: 'filter', hook: 'input', prio: 0, policy } },
        { rule: { family: 'ip', table: 'fw', chain: 'in', handle: 3, expr } },
      ],
    });
    assert.equal(parseRuleset(ruleset([{ counter: null }, { reject: null }])).dropping.length, 1);
    assert.equal(parseRuleset(ruleset([{ drop: null }])).dropping.length, 1);
    assert.equal(parseRuleset(ruleset([{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { drop: null }])).dropping.length, 0);
    assert.equal(parseRuleset(ruleset([{ accept: null }])).dropping.length, 0);
    assert.equal(parseRuleset(ruleset([{ accept: null }], 'drop')).dropping.length, 1);
  });
});

describe('nftables openings', () => {
  const chain = { family: 'inet' as const, table: 'filter', chain: 'input' };

  it('inserts one tagged accept per port, deleted by the handle nft echoes', () => {
    const [first] = nftOpenings([chain], [51000, 51001], 77, []);
    assert.deepEqual(first!.open.args, ['--echo', '--handle', 'insert', 'rule', 'inet', 'filter', 'input', 'tcp', 'dport', '51000', 'accept', 'comment', '"share-file pid=77 port=51000"']);
    const printed = 'insert rule inet filter input tcp dport 51000 accept comment "share-file pid=77 port=51000" # handle 4\n# new generation 3 by process 7310 (nft)\n';
    assert.deepEqual(first!.close(printed).args, ['delete', 'rule', 'inet', 'filter', 'input', 'handle', '4']);
    assert.equal(parseHandle(printed), 4);
    assert.throws(() => parseHandle('insert rule inet filter input'), /did not say the new rule's handle/);
  });

  it('with --allow, matches the sources each family can see', () => {
    const allow = [parseCidr('10.0.0.0/8'), parseCidr('192.168.0.0/16'), parseCidr('fd00::/8')];
    const inet = nftOpenings([chain], [1], 7, allow).map((opening) => opening.open.args.slice(7, -3).join(' '));
    assert.deepEqual(inet, ['ip saddr { 10.0.0.0/8, 192.168.0.0/16 } tcp dport 1', 'ip6 saddr { fd00::/8 } tcp dport 1']);
    assert.equal(nftOpenings([{ ...chain, family: 'ip6' }], [1], 7, [parseCidr('10.0.0.0/8')]).length, 0, 'no IPv6 source allowed, no IPv6 rule');
  });
});

describe('firewalld openings', () => {
  it('uses the zone of each interface, or the default zone', () => {
    assert.deepEqual(zonesOf(['home', undefined, 'home'], 'public'), ['home', 'public']);
    assert.deepEqual(zonesOf([], 'public'), ['public']);
  });

  it('adds runtime ports (never --permanent), asks first, and removes the same', () => {
    const [opening] = firewalldOpenings(['public'], [51000], []);
    assert.deepEqual(opening!.open.args, ['--zone=public', '--add-port=51000/tcp']);
    assert.deepEqual(opening!.query!.args, ['--zone=public', '--query-port=51000/tcp']);
    assert.deepEqual(opening!.close('success').args, ['--zone=public', '--remove-port=51000/tcp']);
    assert.equal(opening!.journaled, true);
  });

  it('with --allow, one rich rule per source', () => {
    const openings = firewalldOpenings(['public'], [51000], [parseCidr('10.0.0.0/8'), parseCidr('fd00::/8')]);
    assert.deepEqual(openings.map((opening) => opening.open.args[1]), [
      '--add-rich-rule=rule family="ipv4" source address="10.0.0.0/8" port port="51000" protocol="tcp" accept',
      '--add-rich-rule=rule family="ipv6" source address="fd00::/8" port port="51000" protocol="tcp" accept',
    ]);
  });
});

describe('findTool', () => {
  it('finds nft in /usr/sbin even when PATH is cron\'s', async () => {
    assert.equal(await findTool('nft', '/usr/bin:/bin'), '/usr/sbin/nft');
  });
});
