import { allPages } from '../../../lambda/shared/pages';

describe('allPages', () => {
  it('follows nextToken to the last page, passing each token on', async () => {
    const tokens: (string | undefined)[] = [];
    const pages: Record<string, { items: number[]; nextToken?: string }> = {
      first: { items: [1, 2], nextToken: 'b' },
      b: { items: [3], nextToken: 'c' },
      c: { items: [4] },
    };
    const items = await allPages(
      async (token) => {
        tokens.push(token);
        return pages[token ?? 'first'];
      },
      (page) => page.items,
      10,
    );
    expect(items).toEqual([1, 2, 3, 4]);
    expect(tokens).toEqual([undefined, 'b', 'c']);
  });

  it('stops at maxPages however many pages the service offers, and reads a page without items as empty', async () => {
    let calls = 0;
    const items = await allPages(
      async () => {
        calls++;
        return { items: calls % 2 ? [calls] : undefined, nextToken: 'more' };
      },
      (page) => page.items,
      4,
    );
    expect(calls).toBe(4);
    expect(items).toEqual([1, 3]);
  });
});
