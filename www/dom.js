// A tiny helper for building DOM trees in the views without a framework or a build step.

/**
 * Creates an element: `h('button.primary', { onclick }, 'Save')`. The tag may carry classes after
 * dots; attributes starting with `on` become listeners, `dataset` and `style` objects are merged,
 * booleans toggle attributes, and children may be strings, nodes, arrays, null or false.
 */
export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split('.');
  const node = document.createElement(tag || 'div');
  if (classes.length) node.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset' || key === 'style') Object.assign(node[key], value);
    else if (key === 'class') node.className = [node.className, value].filter(Boolean).join(' ');
    else if (key === 'value') node.value = value;
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces everything inside `node` with `children`. */
export function mount(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** A short form of a commit hash, as logs show it. */
export const short = (hash) => hash.slice(0, 8);

/** "3 min ago" for a DATETIME the engine wrote in UTC. */
export function ago(datetime) {
  const then = Date.parse(`${datetime.replace(' ', 'T')}Z`);
  const seconds = Math.round((Date.now() - then) / 1000);
  if (!Number.isFinite(seconds)) return datetime;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(then).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/**
 * A DATETIME the engine wrote in UTC, in the reader's local time; with seconds where edits a
 * moment apart must read differently.
 */
export function when(datetime, { seconds = false } = {}) {
  const then = new Date(`${datetime.replace(' ', 'T')}Z`);
  if (Number.isNaN(then.getTime())) return datetime;
  const second = seconds ? '2-digit' : undefined;
  return then.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second });
}

/** The branch symbol, drawn rather than typed since not every font has one. */
export function branchIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', 'branch-icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML =
    '<circle cx="4" cy="3" r="1.6"/><circle cx="4" cy="13" r="1.6"/><circle cx="12" cy="5" r="1.6"/>' +
    '<path d="M4 4.6v6.8M12 6.6c0 3-8 2.4-8 4.8" fill="none"/>';
  return svg;
}

/** "12.3 KB" for a byte count. */
export function bytes(count) {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KB`;
  return `${(count / 1024 / 1024).toFixed(1)} MB`;
}
