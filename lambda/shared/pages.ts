/**
 * Every item of a paginated list call, at most `maxPages` pages: the loop the list calls share (a page, its
 * items, its `nextToken`, until there is none), bounded so that a run can never page forever.
 */
export async function allPages<Page extends { nextToken?: string }, Item>(
  fetchPage: (nextToken: string | undefined) => Promise<Page>,
  itemsOf: (page: Page) => readonly Item[] | undefined,
  maxPages: number,
): Promise<Item[]> {
  const items: Item[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const response = await fetchPage(nextToken);
    items.push(...(itemsOf(response) ?? []));
    nextToken = response.nextToken;
    if (!nextToken) break;
  }
  return items;
}
