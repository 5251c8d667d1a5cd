// Unit tests: parsing and validation of what the user types.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShareFileError } from '../../src/errors.ts';
import { allowsAddress, parseCidr } from '../../src/host/cidr.ts';
import { parseAddress, parseAnnounceUrl, parseCount, parseDuration, parseFirewallMode, parseHostname, parseIpv6Address, parseName, parseOptions, parsePort, parsePortMapMode } from '../../src/options.ts';

function usageFailure(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ShareFileError);
    assert.equal(error.kind, 'usage');
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.ok(error.hint, 'every usage error says what to do');
    return true;
  };
}

describe('parsePort', () => {
  it('accepts 1 to 65535', () => {
    assert.equal(parsePort('1', 'port'), 1);
    assert.equal(parsePort('65535', 'port'), 65535);
    assert.equal(parsePort(' 51413 ', 'port'), 51413);
  });
  for (const bad of ['0', '65536', '-1', '1.5', 'abc', '', '0x50', '1e3', '99999999']) {
    it(`refuses \`${bad}\`, naming it`, () => {
      assert.throws(() => parsePort(bad, 'tracker port'), usageFailure('BAD_PORT', new RegExp(`tracker port \`${bad.replace('.', '\\.')}\``)));
    });
  }
});

describe('parseAddress', () => {
  it('accepts IPv4 and IPv6 unicast addresses', () => {
    assert.equal(parseAddress('192.0.2.10'), '192.0.2.10');
    assert.equal(parseAddress('2001:db8::1'), '2001:db8::1');
    assert.equal(parseAddress('127.0.0.1'), '127.0.0.1');
  });
  for (const bad of ['256.1.1.1', 'example.org', '1.2.3', '', 'fe80::1%eth0x', '::', '0.0.0.0', '224.0.0.1', 'ff02::1']) {
    it(`refuses \`${bad}\``, () => {
      assert.throws(() => parseAddress(bad), usageFailure('BAD_ADDRESS', /`/));
    });
  }
});

describe('parseHostname', () => {
  it('accepts names and IP literals', () => {
    assert.equal(parseHostname('files.example.org'), 'files.example.org');
    assert.equal(parseHostname('files.example.org.'), 'files.example.org');
    assert.equal(parseHostname('vm-1'), 'vm-1');
    assert.equal(parseHostname('10.1.2.3'), '10.1.2.3');
    assert.equal(parseHostname('2001:db8::2'), '2001:db8::2');
  });
  for (const bad of ['', 'bad host', 'a/b', 'user@host', '-lead.example', 'trail-.example', 'a..b', 'host:80', 'x'.repeat(64)]) {
    it(`refuses \`${bad}\``, () => {
      assert.throws(() => parseHostname(bad), usageFailure('BAD_HOSTNAME', /is not a valid host name/));
    });
  }
});

describe('parseFirewallMode', () => {
  it('knows auto, iptables and none', () => {
    assert.equal(parseFirewallMode('auto'), 'auto');
    assert.equal(parseFirewallMode('IPTABLES'), 'iptables');
    assert.equal(parseFirewallMode('none'), 'none');
  });
  it('refuses anything else', () => {
    assert.throws(() => parseFirewallMode('nft'), usageFailure('BAD_FIREWALL_MODE', /unknown firewall mode `nft`/));
  });
});

describe('parsePortMapMode and --ip6', () => {
  it('knows auto, upnp, nat-pmp and none', () => {
    for (const mode of ['auto', 'upnp', 'nat-pmp', 'none']) assert.equal(parsePortMapMode(mode), mode);
    assert.equal(parsePortMapMode('UPnP'), 'upnp');
  });
  it('refuses anything else, naming the value and the modes', () => {
    assert.throws(() => parsePortMapMode('pcp'), (error) => usageFailure('BAD_PORT_MAP_MODE', /unknown port-map mode `pcp`/)(error) && /auto, upnp, nat-pmp, none/.test((error as ShareFileError).hint!));
  });
  it('takes an IPv6 address for --ip6 and refuses IPv4 there', () => {
    assert.equal(parseIpv6Address('fd00:220:1::2'), 'fd00:220:1::2');
    assert.throws(() => parseIpv6Address('10.220.1.2'), usageFailure('BAD_ADDRESS', /`10\.220\.1\.2` is not an IPv6 address/));
    assert.throws(() => parseIpv6Address('fe80::1%eth0'), usageFailure('BAD_ADDRESS', /not an IP address/));
  });
});

describe('parseOptions', () => {
  it('fills defaults and resolves paths against the working directory', () => {
    const options = parseOptions({ file: 'vm.img' }, '/home/me');
    assert.deepEqual(options, {
      file: '/home/me/vm.img',
      name: undefined,
      trackerPort: undefined,
      peerPort: undefined,
      hostname: undefined,
      ip: undefined,
      ip6: undefined,
      torrentPath: undefined,
      firewall: 'auto',
      portMap: 'auto',
      allow: [],
      announce: [],
      webSeed: false,
      requireEncryption: false,
      json: false,
      exitAfter: undefined,
      timeoutMs: undefined,
      quiet: false,
      qr: false,
    });
  });
  it('reads the positional port, host name and address like the flags', () => {
    const options = parseOptions({ file: 'f', positionalPort: '50000', positionalHostname: 'host.example', positionalIp: '192.0.2.1' }, '/');
    assert.equal(options.trackerPort, 50000);
    assert.equal(options.hostname, 'host.example');
    assert.equal(options.ip, '192.0.2.1');
  });
  it('accepts a positional and a flag that agree', () => {
    assert.equal(parseOptions({ file: 'f', positionalPort: '50000', port: '50000' }, '/').trackerPort, 50000);
  });
  it('refuses a positional and a flag that disagree', () => {
    assert.throws(() => parseOptions({ file: 'f', positionalPort: '50000', port: '50001' }, '/'), usageFailure('BAD_ARGUMENT', /given twice/));
  });
  it('refuses equal tracker and peer ports', () => {
    assert.throws(() => parseOptions({ file: 'f', port: '50000', peerPort: '50000' }, '/'), usageFailure('BAD_PORT', /both `50000`/));
  });
  it('refuses tracker port 65535 without a peer port', () => {
    assert.throws(() => parseOptions({ file: 'f', port: '65535' }, '/'), usageFailure('BAD_PORT', /`65535`/));
    assert.equal(parseOptions({ file: 'f', port: '65535', peerPort: '65000' }, '/').peerPort, 65000);
  });
  it('resolves --torrent against the working directory', () => {
    assert.equal(parseOptions({ file: 'f', torrent: 'out/x.torrent' }, '/srv').torrentPath, '/srv/out/x.torrent');
  });
});

describe('parseCidr and allowsAddress', () => {
  it('normalises ranges the way iptables prints them', () => {
    assert.equal(parseCidr('10.1.2.3/8').text, '10.0.0.0/8');
    assert.equal(parseCidr('192.0.2.7').text, '192.0.2.7/32');
    assert.equal(parseCidr('2001:db8:1::5/32').text, '2001:db8::/32');
    assert.equal(parseCidr('2001:db8::1').text, '2001:db8::1/128');
    assert.equal(parseCidr('0.0.0.0/0').text, '0.0.0.0/0');
    assert.equal(parseCidr('fd00:1:2:3:4:5:6:7/64').text, 'fd00:1:2:3::/64');
  });
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'example.org/8', '10.0.0.0/8/1', '::/129', '10.0.0.0/x']) {
    it(`refuses \`${bad}\``, () => {
      assert.throws(() => parseCidr(bad), usageFailure('BAD_ADDRESS', /is not an address range/));
    });
  }
  it('lets in the listed ranges and loopback only', () => {
    const allows = allowsAddress([parseCidr('10.0.0.0/8'), parseCidr('2001:db8::/32')]);
    assert.ok(allows('10.200.1.1'));
    assert.ok(allows('::ffff:10.200.1.1'));
    assert.ok(allows('2001:db8::7'));
    assert.ok(allows('127.0.0.1'));
    assert.ok(allows('::1'));
    assert.ok(!allows('192.0.2.1'));
    assert.ok(!allows('2001:db9::1'));
  });
  it('lets everyone in without --allow', () => {
    assert.ok(allowsAddress([])('192.0.2.1'));
  });
});

describe('stop conditions', () => {
  it('parses durations with a unit', () => {
    assert.equal(parseDuration('90s', '--timeout'), 90_000);
    assert.equal(parseDuration('15m', '--timeout'), 900_000);
    assert.equal(parseDuration('2h', '--timeout'), 7_200_000);
    assert.equal(parseDuration('1.5h', '--timeout'), 5_400_000);
    // Past setTimeout's 2^31-1 ms: run() waits for it with afterDelay (see deadline.test.ts).
    assert.equal(parseDuration('25d', '--timeout'), 2_160_000_000);
    assert.equal(parseDuration('1y', '--timeout'), 31_557_600_000);
  });
  for (const bad of ['10', 'soon', '-5s', '0s', '', '5 parsecs']) {
    it(`refuses the duration \`${bad}\``, () => {
      assert.throws(() => parseDuration(bad, '--timeout'), usageFailure('BAD_ARGUMENT', /--timeout `.*` is not a duration/));
    });
  }
  it('parses counts of at least one', () => {
    assert.equal(parseCount('1', '--exit-after'), 1);
    assert.equal(parseCount('12', '--exit-after'), 12);
    for (const bad of ['0', '-1', '1.5', 'two', '']) assert.throws(() => parseCount(bad, '--exit-after'), usageFailure('BAD_ARGUMENT', /--exit-after `/));
  });
});

describe('parseAnnounceUrl', () => {
  it('takes http, https and udp tracker URLs', () => {
    assert.equal(parseAnnounceUrl('http://tracker.example:6969/announce'), 'http://tracker.example:6969/announce');
    assert.equal(parseAnnounceUrl(' https://t.example/announce '), 'https://t.example/announce');
    assert.equal(parseAnnounceUrl('udp://t.example:1337'), 'udp://t.example:1337');
  });
  it('refuses WebSocket trackers, other schemes, and URLs without a host or a UDP port', () => {
    for (const bad of ['wss://t.example/announce', 'ftp://t.example/', 'tracker.example:6969', 'http://', 'udp://t.example', '']) {
      assert.throws(() => parseAnnounceUrl(bad), usageFailure('BAD_URL', /is not a tracker announce URL/), bad);
    }
  });
  it('drops repeats in --announce', () => {
    assert.deepEqual(parseOptions({ file: 'f', announce: ['http://a.example/announce', 'http://a.example/announce', 'udp://b.example:1'] }, '/').announce, ['http://a.example/announce', 'udp://b.example:1']);
  });
});

describe('parseName', () => {
  it('takes a file name as it is', () => {
    assert.equal(parseName('vm-disk.img'), 'vm-disk.img');
    assert.equal(parseName(' disk 1.raw '), 'disk 1.raw');
  });
  for (const bad of ['', '.', '..', 'a/b', '/dev/sda', 'x'.repeat(256)]) {
    it(`refuses \`${bad.slice(0, 20)}\``, () => {
      assert.throws(() => parseName(bad), usageFailure('BAD_ARGUMENT', /--name `.*` is not a file name/));
    });
  }
});
