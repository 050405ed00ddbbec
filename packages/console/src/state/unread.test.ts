import { describe, expect, it } from 'vitest';
import { countFromList, countReceived, markSeen, unreadCount, unreadHelpDesks } from './unread';
import { at, helpDesk, message } from './test-objects';

describe('unread counts', () => {
  it('counts received messages of help desks that are not open, not sent ones', () => {
    let index = countReceived({}, message({ uuid: 'm1', type: 'received', created_at: at(1) }), undefined);
    index = countReceived(index, message({ uuid: 'm2', type: 'received', created_at: at(2) }), undefined);
    index = countReceived(index, message({ uuid: 'm3', type: 'sent', created_at: at(3) }), undefined);
    index = countReceived(
      index,
      message({ uuid: 'm4', type: 'received', help_desk: 'desk-2', created_at: at(4) }),
      'desk-2',
    );
    expect(unreadCount(index, 'desk-1')).toBe(2);
    expect(unreadCount(index, 'desk-2')).toBe(0);
    expect(unreadHelpDesks(index)).toBe(1);
  });

  it('clears when the help desk is opened, and counts only what comes after', () => {
    let index = countReceived({}, message({ uuid: 'm1', type: 'received', created_at: at(1) }), undefined);
    index = markSeen(index, 'desk-1', message({ uuid: 'm1', created_at: at(1) }));
    expect(unreadCount(index, 'desk-1')).toBe(0);
    // A refetch still listing m1 as the last message does not bring it back.
    index = countFromList(
      index,
      [helpDesk('desk-1', at(1), { last_message: message({ uuid: 'm1', type: 'received', created_at: at(1) }) })],
      undefined,
    );
    expect(unreadCount(index, 'desk-1')).toBe(0);
    index = countReceived(index, message({ uuid: 'm2', type: 'received', created_at: at(2) }), undefined);
    expect(unreadCount(index, 'desk-1')).toBe(1);
  });

  it('gives a help desk loaded with a received last message never seen here at least one unread', () => {
    const desk = helpDesk('desk-1', at(5), {
      last_message: message({ uuid: 'm9', type: 'received', created_at: at(5) }),
    });
    expect(unreadCount(countFromList({}, [desk], undefined), 'desk-1')).toBe(1);
    expect(unreadCount(countFromList({}, [desk], 'desk-1'), 'desk-1')).toBe(0);
    const counted = countReceived({}, message({ uuid: 'm8', type: 'received', created_at: at(4) }), undefined);
    const withTwo = countReceived(counted, message({ uuid: 'm9', type: 'received', created_at: at(5) }), undefined);
    expect(unreadCount(countFromList(withTwo, [desk], undefined), 'desk-1')).toBe(2);
  });

  it('counts a whole page at once, leaving the index as it was when nothing in it is new', () => {
    const received = (uuid: string, second: number) =>
      helpDesk(uuid, at(second), {
        last_message: message({ uuid: `m-${uuid}`, help_desk: uuid, type: 'received', created_at: at(second) }),
      });
    const page = [received('d1', 1), received('d2', 2), helpDesk('d3', at(3)), received('open', 4)];
    const index = countFromList({}, page, 'open');
    expect(['d1', 'd2', 'd3', 'open'].map((uuid) => unreadCount(index, uuid))).toEqual([1, 1, 0, 0]);
    expect(countFromList(index, page, 'open')).toBe(index);
  });
});
