import { useState } from 'react';
import { useModel } from '../lib/use-model.js';
import { ChatHeader } from './ChatHeader.js';
import { Composer } from './Composer.js';
import { GroupPanel } from './GroupPanel.js';
import { MessageList } from './MessageList.js';
import { TypingIndicator } from './TypingIndicator.js';

interface Props {
  conversationId: string;
  minimised: boolean;
}

/** One conversation: header, messages (or the group's settings), who is typing, the composer. */
export function ChatWindow({ conversationId, minimised }: Props) {
  const model = useModel();
  const [showGroup, setShowGroup] = useState(false);
  const title = model.title(conversationId);
  return (
    <section
      className={minimised ? 'chat-window minimised' : 'chat-window'}
      aria-label={`Chat with ${title}`}
      data-conversation={conversationId}
    >
      <ChatHeader
        conversationId={conversationId}
        minimised={minimised}
        groupOpen={showGroup}
        onToggleGroup={() => setShowGroup((v) => !v)}
      />
      {!minimised &&
        (showGroup ? (
          <GroupPanel conversationId={conversationId} onDone={() => setShowGroup(false)} />
        ) : (
          <>
            <MessageList conversationId={conversationId} />
            <TypingIndicator conversationId={conversationId} />
            <Composer conversationId={conversationId} title={title} />
          </>
        ))}
    </section>
  );
}
