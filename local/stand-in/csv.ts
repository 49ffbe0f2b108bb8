/** The files finished jobs write, in the services' shapes. */
import { createHash } from 'node:crypto';

/** FindMatches labeling-file layout: labeling_set_id, label, then the record's columns. */
export function glueLabelsCsv(seed: string): string {
  const rows = ['labeling_set_id,label,id,name,email,city'];
  for (let i = 0; i < 6; i++) {
    const set = `set-${seed.slice(-4)}-${Math.floor(i / 3)}`;
    rows.push(
      `${set},label-${i % 2},${1000 + i},Customer ${i},customer${i}@example.com,${['Berlin', 'Lyon', 'Austin'][i % 3]}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

/** Records of the dataset's type, as Personalize writes them. */
export function personalizeCsv(datasetArn: string, seed: string): string {
  const type = datasetArn.split('/').pop();
  const base =
    1_700_000_000 + (parseInt(createHash('md5').update(seed).digest('hex').slice(0, 6), 16) % 1000);
  const rows =
    type === 'ITEMS'
      ? [
          'ITEM_ID,CATEGORY,PRICE',
          ...Array.from({ length: 5 }, (_, i) => `item-${i},category-${i % 2},${(9.99 + i).toFixed(2)}`),
        ]
      : type === 'USERS'
        ? [
            'USER_ID,AGE,MEMBERSHIP',
            ...Array.from({ length: 5 }, (_, i) => `user-${i},${20 + i},${i % 2 ? 'gold' : 'basic'}`),
          ]
        : [
            'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE',
            ...Array.from(
              { length: 8 },
              (_, i) => `user-${i % 3},item-${i},${base + i * 60},${i % 2 ? 'purchase' : 'click'}`,
            ),
          ];
  return `${rows.join('\n')}\n`;
}
