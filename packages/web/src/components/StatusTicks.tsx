import type { MessageStatus } from '@parley/client';
import { Icon, type IconName } from './Icon.js';

const LOOK: Record<MessageStatus, { icon: IconName; label: string }> = {
  sending: { icon: 'clock', label: 'Sending' },
  sent: { icon: 'check', label: 'Sent' },
  delivered: { icon: 'checks', label: 'Delivered' },
  read: { icon: 'checks', label: 'Read' },
  failed: { icon: 'alert', label: 'Not sent' },
};

/** The status of an own message: a clock, one tick, two ticks, two blue ticks, or a warning. */
export function StatusTicks({ status }: { status: MessageStatus }) {
  const { icon, label } = LOOK[status];
  return (
    <span className={`ticks ticks-${status}`} data-status={status} role="img" aria-label={label} title={label}>
      <Icon name={icon} size={14} />
    </span>
  );
}
