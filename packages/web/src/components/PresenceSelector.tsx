import type { DeviceStatus } from '@parley/protocol';
import { useId } from 'react';
import { useModel } from '../lib/use-model.js';

/** Sets this user's status for everyone who can see it. */
export function PresenceSelector() {
  const model = useModel();
  const id = useId();
  return (
    <div className={`presence-select presence-${model.status}`}>
      <label htmlFor={id} className="sr-only">
        Your status
      </label>
      <span className={`presence-dot presence-${model.status}`} aria-hidden="true" />
      <select id={id} value={model.status} onChange={(e) => model.setStatus(e.target.value as DeviceStatus)}>
        <option value="online">Online</option>
        <option value="away">Away</option>
        <option value="busy">Busy</option>
      </select>
    </div>
  );
}
