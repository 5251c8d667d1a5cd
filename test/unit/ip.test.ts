// Address helpers: IPv4-mapped IPv6, brackets for IPv6, loopback in every form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress, isLoopback, unmapIPv4, urlHost } from '../../src/host/ip.ts';

describe('address helpers', () => {
  it('unmaps IPv4-mapped IPv6 and leaves every other address alone', () => {
    assert.equal(unmapIPv4('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(unmapIPv4('::FFFF:10.0.0.1'), '10.0.0.1');
    assert.equal(unmapIPv4('192.0.2.7'), '192.0.2.7');
    assert.equal(unmapIPv4('2001:db8::1'), '2001:db8::1');
    assert.equal(unmapIPv4('::ffff:999.1.1.1'), '::ffff:999.1.1.1', 'not an IPv4 address');
    // A mapped address written in hex is IPv6 text, not a dotted quad: left as it is.
    assert.equal(unmapIPv4('::ffff:c000:0207'), '::ffff:c000:0207');
  });

  it('brackets IPv6 in URLs and addresses, never IPv4 or names', () => {
    assert.equal(urlHost('2001:db8::1'), '[2001:db8::1]');
    assert.equal(urlHost('192.0.2.7'), '192.0.2.7');
    assert.equal(urlHost('share.example'), 'share.example');
    assert.equal(formatAddress('2001:db8::1', 6881), '[2001:db8::1]:6881');
    assert.equal(formatAddress('::ffff:192.0.2.7', 6881), '192.0.2.7:6881');
    assert.equal(formatAddress('192.0.2.7', 6881), '192.0.2.7:6881');
  });

  it('knows loopback in IPv4, IPv6 and mapped form', () => {
    for (const ip of ['127.0.0.1', '127.0.1.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(ip), ip);
    for (const ip of ['192.0.2.7', '2001:db8::1', '::ffff:192.0.2.7', '::']) assert.ok(!isLoopback(ip), ip);
  });
});
