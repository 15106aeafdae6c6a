import { useModel } from '../lib/use-model.js';

/** "Ann is typing…" (announced politely to screen readers). */
export function TypingIndicator({ conversationId }: { conversationId: string }) {
  const model = useModel();
  const names = model.chat
    .typing(conversationId)
    .filter((u) => u !== model.me)
    .map((u) => model.name(u));
  const text =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length === 2
          ? `${names[0]} and ${names[1]} are typing…`
          : 'Several people are typing…';
  return (
    <div className="typing" role="status" aria-live="polite">
      {text}
    </div>
  );
}
