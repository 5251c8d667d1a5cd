// Unit tests: the default gateways read from the kernel's routing tables, as captured from Linux
// 6.x network namespaces (two IPv4 default routes, a link-local and a ULA IPv6 one, reject routes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayAddress, parseIpv4Routes, parseIpv6Routes } from '../../src/host/gateway.ts';

const PAD = ' '.repeat(60);
const IPV4_ROUTES = [
  `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT${PAD}`,
  `cap0\t00000000\t0101DD0A\t0003\t0\t0\t100\t00000000\t0\t0\t0${PAD}`,
  `cap2\t00000000\t0102DD0A\t0003\t0\t0\t600\t00000000\t0\t0\t0${PAD}`,
  `cap0\t0001DD0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0${PAD}`,
  `cap2\t0002DD0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0${PAD}`,
  `*\t0009DD0A\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0${PAD}`,
  '',
].join('\n');

const IPV6_ROUTES = `fd000221000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     cap0
fd000221000900000000000000000000 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00200200       lo
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     cap0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     cap2
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000221000100000000000000000001 00000064 00000001 00000000 00000003     cap0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     cap2
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
fe80000000000000e0d615fffe31bd5a 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001     cap2
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000004 00000000 00000001     cap0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;

describe('default gateways', () => {
  it('reads the IPv4 default routes of /proc/net/route, lowest metric first, and nothing else', () => {
    assert.deepEqual(parseIpv4Routes(IPV4_ROUTES), [
      { family: 4, address: '10.221.1.1', interface: 'cap0', metric: 100 },
      { family: 4, address: '10.221.2.1', interface: 'cap2', metric: 600 },
    ]);
    const reversed = (table: string): string => table.split('\n').slice(0, 1).concat(table.split('\n').slice(1).reverse()).join('\n');
    assert.deepEqual(parseIpv4Routes(reversed(IPV4_ROUTES)).map((gateway) => gateway.metric), [100, 600], 'by metric, not by line');
    // A default route without RTF_GATEWAY (a point-to-point link), a reject route, junk, nothing.
    assert.deepEqual(parseIpv4Routes(`header\nppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n*\t00000000\t0101DD0A\t0203\t0\t0\t0\t00000000\t0\t0\t0\n`), []);
    assert.deepEqual(parseIpv4Routes('header\neth0\t00000000\tZZZZZZZZ\t0003\t0\t0\t0\t00000000\nnot a table at all'), []);
    assert.deepEqual(parseIpv4Routes(''), []);
  });

  it('reads the IPv6 default routes of /proc/net/ipv6_route (hex metric), skipping the unreachable default', () => {
    assert.deepEqual(parseIpv6Routes(IPV6_ROUTES), [
      { family: 6, address: 'fd00:221:1::1', interface: 'cap0', metric: 100 },
      { family: 6, address: 'fe80::1', interface: 'cap2', metric: 1024 },
    ]);
    assert.deepEqual(parseIpv6Routes(IPV6_ROUTES.split('\n').reverse().join('\n')).map((gateway) => gateway.metric), [100, 1024], 'by metric, not by line');
    assert.deepEqual(parseIpv6Routes('00000000000000000000000000000000 00 x\n'), []);
  });

  it('tells the gateway from any other address, strictly', () => {
    const gateways = [...parseIpv4Routes(IPV4_ROUTES), ...parseIpv6Routes(IPV6_ROUTES)];
    for (const address of ['10.221.1.1', '10.221.2.1', '::ffff:10.221.1.1', 'fd00:221:1::1', '[fd00:221:1:0::1]', 'FD00:221:1:0:0:0:0:1']) assert.ok(isGatewayAddress(gateways, address), address);
    for (const address of ['10.221.1.2', '010.221.1.1', '10.221.1.1.', ' 10.221.1.1', '10.221.1.1x', '999.1.1.1', 'fe80::1%cap2', 'router.lan', '']) assert.ok(!isGatewayAddress(gateways, address), address);
    assert.ok(!isGatewayAddress([], '10.221.1.1'));
  });
});
