import type { WirePresence } from '@parley/protocol';
import { STATUS_LABEL } from '../lib/format.js';

/** The coloured dot on an avatar: online, away, busy or offline (with a text alternative). */
export function PresenceDot({ presence }: { presence: WirePresence | undefined }) {
  const status = presence?.status ?? 'offline';
  return <span className={`presence-dot presence-${status}`} role="img" aria-label={STATUS_LABEL[status]} />;
}
