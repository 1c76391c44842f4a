import { describe, expect, it } from 'vitest';
import { escapeHtml, html, join, raw } from './html.js';

describe('html', () => {
  it('escapes interpolated values', () => {
    const name = `<img src=x onerror="alert('1')">&\``;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;</p>',
    );
  });

  it('nests fragments without escaping them twice, and joins arrays', () => {
    const items = ['a<b', 'c&d'].map((item) => html`<li>${item}</li>`);
    // prettier-ignore
    const list = html`<ul>${items}</ul>`;
    expect(list.value).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li></ul>');
    expect(join([html`<b>1</b>`, '<2>'], html`<br />`).value).toBe('<b>1</b><br />&lt;2&gt;');
  });

  it('renders nothing for null, undefined and booleans; numbers as text', () => {
    expect(html`${null}${undefined}${false}${true}${0}${12n}`.value).toBe('012');
  });

  it('passes raw() through', () => {
    expect(html`${raw('<hr>')}`.value).toBe('<hr>');
    expect(escapeHtml('"quoted"')).toBe('&quot;quoted&quot;');
  });
});
