import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type GenerateKeyPairResult, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export interface JwksServer {
  /** The URL of the JWK Set document. */
  url: string;
  kid: string;
  /** How many times the JWK Set was fetched. */
  fetches(): number;
  /** An RS256 token signed with the key the JWK Set publishes. */
  sign(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

/** A tiny JWKS endpoint on 127.0.0.1 (port 0) publishing one RS256 public key, as an identity provider would. */
export async function startJwksServer(kid = 'test-rs256-key'): Promise<JwksServer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    kid,
    fetches: () => fetches,
    sign: (claims) => signRs256(claims, privateKey, kid),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** An RS256 token signed with any private key (e.g. one the JWK Set does not publish). */
export async function signRs256(
  claims: JWTPayload,
  privateKey: GenerateKeyPairResult['privateKey'],
  kid: string,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}
