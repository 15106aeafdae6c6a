import { hueOf, initials } from '../lib/format.js';

interface Props {
  id: string;
  name: string;
  url: string | null;
  size?: number;
  group?: boolean;
}

/** A picture when the user set one, else initials on a colour of their own. */
export function Avatar({ id, name, url, size = 40, group = false }: Props) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  if (url) return <img className="avatar" src={url} alt="" style={style} referrerPolicy="no-referrer" />;
  return (
    <span
      className={group ? 'avatar avatar-group' : 'avatar'}
      style={{ ...style, background: `hsl(${hueOf(id)} 55% 45%)` }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}
