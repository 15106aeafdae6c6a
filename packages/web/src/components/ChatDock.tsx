import { useModel } from '../lib/use-model.js';
import { ChatWindow } from './ChatWindow.js';

/** The open chats: up to three docked at the bottom right when wide; the newest, full screen, when narrow. */
export function ChatDock() {
  const model = useModel();
  const shown = model.shownWindows();
  if (shown.length === 0) return null;
  return (
    <div className={model.narrow ? 'dock dock-full' : 'dock'}>
      {shown.map((w) => (
        <ChatWindow key={w.conversationId} conversationId={w.conversationId} minimised={w.minimised} />
      ))}
    </div>
  );
}
