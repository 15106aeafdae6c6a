import type { UserRecord } from '../../../storage/records.js';
import type { SeedContext } from '../seed-context.js';

/** Users by id (missing ones absent) and who of them is online: what list renderings need. */
export async function peopleOf(
  ctx: SeedContext,
  ids: Iterable<string>,
): Promise<{ users: Map<string, UserRecord>; online: Set<string> }> {
  const unique = [...new Set(ids)];
  const [users, online] = await Promise.all([ctx.users.getMany(unique), ctx.presence.online(unique)]);
  return { users: new Map(users.map((u) => [u.id, u])), online };
}

/** The name a seed shows for a user: the login name, else the display name. */
export function nameOf(user: UserRecord | undefined, id: string): string {
  return user?.username ?? user?.displayName ?? id;
}
