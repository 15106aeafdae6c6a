import { useModel } from '../lib/use-model.js';

/** The empty main pane on wide screens; chats open as windows docked at the bottom right. */
export function Welcome() {
  const model = useModel();
  const name = model.profile.display_name;
  return (
    <section className="welcome" aria-label="Welcome">
      <div className="welcome-card">
        <h1>Hello, {name}</h1>
        <p>Pick a conversation or a friend on the left: chats open at the bottom right, up to three at once.</p>
        <p className="muted">
          Friends can add you by your username <strong>@{model.profile.username ?? model.me}</strong>. Press Enter to
          send, Shift+Enter for a new line.
        </p>
      </div>
    </section>
  );
}
