/**
 * `--@include "name"` on a line of its own is replaced by the named fragment when the scripts
 * are loaded (before `defineCommand`), so Redis receives, compiles and caches one plain script
 * and the SHA covers the fragments too. A fragment may include others. Each fragment is expanded
 * once per script, where it is first included: fragments declare `local` functions and values,
 * which a second copy would only shadow.
 */
const INCLUDE = /^[ \t]*--@include[ \t]+"([^"]*)"[ \t]*$/gm;

/** Any line that mentions `--@include` but is not a well-formed include (a typo must not pass as a comment). */
const MALFORMED = /^.*--@include.*$/m;

export function expandIncludes(
  scriptName: string,
  source: string,
  fragments: Readonly<Record<string, string>>,
): string {
  const included = new Set<string>();
  const expand = (text: string, from: string): string => {
    const expanded = text.replace(INCLUDE, (_line, name: string) => {
      if (!Object.hasOwn(fragments, name)) {
        throw new Error(
          `Lua script ${scriptName}: ${from} includes the unknown fragment "${name}"`,
        );
      }
      if (included.has(name)) return '';
      included.add(name);
      return expand(fragments[name]!, `fragment "${name}"`);
    });
    const malformed = MALFORMED.exec(expanded);
    if (malformed)
      throw new Error(
        `Lua script ${scriptName}: ${from} has a malformed include: ${malformed[0].trim()}`,
      );
    return expanded;
  };
  return expand(source, 'the script');
}
