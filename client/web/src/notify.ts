/**
 * Desktop notifications for mentions while the tab is hidden (The Lounge's rule: highlights only,
 * only when the page is not looked at). Each browser API failure is silenced where it happens.
 */
export function askNotificationPermission(): void {
  try {
    if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
  } catch {
    /* not offered here */
  }
}

export function notifyMention(from: string, text: string, room: string): void {
  if (!document.hidden) return;
  try {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    // The body is plain text for the system's notification: never HTML.
    new Notification(`${from} mentioned you in ${room}`, { body: text.slice(0, 200), tag: `warren-${room}` });
  } catch {
    /* blocked or unsupported */
  }
}
