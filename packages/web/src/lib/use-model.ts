import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatModel } from './model.js';

export const ModelContext = createContext<ChatModel | null>(null);

/** The chat model; the component re-renders on every change of it. */
export function useModel(): ChatModel {
  const model = useContext(ModelContext);
  if (!model) throw new Error('useModel outside <ModelContext>');
  useSyncExternalStore(model.subscribe, model.getVersion);
  return model;
}
