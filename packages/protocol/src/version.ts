/** Version of the canonical wire protocol. A breaking wire change bumps it. */
export const PROTOCOL_VERSION = 1 as const;

/** WebSocket subprotocol a canonical client may offer; the server selects it when offered. */
export const SUBPROTOCOL = 'parley.v1' as const;

/** Path of the canonical WebSocket endpoint. Seed dialects live on their own paths. */
export const WS_PATH = '/v1/ws' as const;
