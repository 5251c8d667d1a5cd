// Unit tests: what a person reads about the firewall, and the last line after a failed undo.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { firewallLine } from '../../src/output/instructions.ts';
import { PlainView } from '../../src/output/view-plain.ts';

describe('firewallLine', () => {
  it('names where the ports were opened', () => {
    const line = firewallLine({ event: 'firewall', status: 'opened', backends: ['firewalld', 'nftables'], places: ['firewalld zone public', 'nftables inet filter input'], ports: [50000, 50001] });
    assert.equal(line, 'share-file: opened ports 50000 and 50001 in firewalld zone public; nftables inet filter input, until share-file stops');
  });

  it('says when nothing blocks, and nothing when a warning said it already', () => {
    assert.match(firewallLine({ event: 'firewall', status: 'nothing-to-open', backends: [], places: [], ports: [1, 2] })!, /found nothing that blocks ports 1 and 2 here/);
    assert.equal(firewallLine({ event: 'firewall', status: 'left-alone', backends: [], places: [], ports: [1, 2] }), undefined);
  });
});

describe('the last line', () => {
  const lastLine = (events: Parameters<PlainView['show']>[0][]): string => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const view = new PlainView(stderr, false);
    for (const event of events) view.show(event);
    return text.trim().split('\n').at(-1)!;
  };

  it('says everything is undone only when it is', () => {
    assert.equal(lastLine([{ event: 'stopped', reason: 'SIGINT' }]), 'share-file: stopped (SIGINT); everything it set up is undone');
    const failed = lastLine([{ event: 'warning', message: 'could not undo the firewall rule for port 5 in nftables inet filter input: gone; run by hand: nft delete rule inet filter input handle 4' }, { event: 'stopped', reason: 'SIGINT' }]);
    assert.equal(failed, 'share-file: stopped (SIGINT); undone, except what the warnings above name');
  });
});
