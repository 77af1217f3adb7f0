import type { WarrenClient } from '../../client/lib/warren-client.js';
import type { WebCall, WebCallResults, WebMethod } from '../../shared/web-protocol.js';

/**
 * One call of the page to the one public method of WarrenClient it names: the page reaches
 * nothing a terminal user's client does not offer (no raw broker access, no other session).
 */
export async function runCall(client: WarrenClient, call: WebCall): Promise<WebCallResults[WebMethod]> {
  switch (call.method) {
    case 'users':
      return client.users();
    case 'myMessages':
      return client.myMessages();
    case 'listRooms':
      return client.listRooms();
    case 'history':
      return client.history({ room: call.room, ...(call.afterSeq === undefined ? {} : { afterSeq: call.afterSeq }), ...(call.limit === undefined ? {} : { limit: call.limit }) });
    case 'createRoom':
      return client.createRoom(call.room, { secret: call.secret });
    case 'joinRoom':
      return client.joinRoom(call.room);
    case 'leaveRoom':
      return client.leaveRoom(call.room);
    case 'invite':
    case 'kick':
    case 'promote':
      return client[call.method](call.user, call.room);
    case 'whois':
      return client.whois(call.user);
    case 'edit':
      return client.edit(call.num, call.text);
    case 'delete':
      return client.delete(call.num);
    case 'setRoomTtl':
      return client.setRoomTtl(call.room, call.ttlMs);
    case 'register':
      return client.register(call.password);
  }
}

/** Calls after which the page's list of rooms may have changed. */
export const ROOM_CHANGING: ReadonlySet<WebMethod> = new Set(['createRoom', 'joinRoom', 'leaveRoom', 'setRoomTtl', 'promote']);
