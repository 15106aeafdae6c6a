import { useModel } from '../lib/use-model.js';
import { ChatDock } from './ChatDock.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { Sidebar } from './Sidebar.js';
import { TopBar } from './TopBar.js';
import { Welcome } from './Welcome.js';

/** The signed-in layout: top bar, connection banner, sidebar (and a welcome pane when wide), chat windows. */
export function Shell() {
  const model = useModel();
  const fullScreenChat = model.narrow && model.windows.length > 0;
  return (
    <div className={`app ${model.narrow ? 'is-narrow' : 'is-wide'}`}>
      <div className="app-chrome" hidden={fullScreenChat}>
        <TopBar />
      </div>
      <ConnectionBanner />
      <div className="app-body" hidden={fullScreenChat}>
        <Sidebar />
        {!model.narrow && <Welcome />}
      </div>
      <ChatDock />
    </div>
  );
}
