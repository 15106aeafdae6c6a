export type DesktopPermission = NotificationPermission | 'unsupported';

/** Desktop notifications through the Notification API, only after the user allowed them. */
export class DesktopNotifier {
  permission(): DesktopPermission {
    return 'Notification' in window ? Notification.permission : 'unsupported';
  }

  /** Asks the browser (must run from a user gesture, e.g. a click). */
  async enable(): Promise<DesktopPermission> {
    if (!('Notification' in window)) return 'unsupported';
    return Notification.requestPermission();
  }

  show(title: string, body: string, tag: string, onClick: () => void): void {
    if (this.permission() !== 'granted') return;
    try {
      const n = new Notification(title, { body: body.slice(0, 200), tag });
      n.onclick = () => {
        window.focus();
        onClick();
        n.close();
      };
    } catch {
      // some platforms allow notifications only from a service worker: the in-app badges still show
    }
  }
}
