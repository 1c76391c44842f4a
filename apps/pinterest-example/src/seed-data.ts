/** The made-up world of the seed: names, board topics, and the random choices it is built with. */

/** mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FIRST = [
  'Ada',
  'Grace',
  'Linus',
  'Margaret',
  'Barbara',
  'Ken',
  'Radia',
  'Alan',
  'Frances',
  'Dennis',
  'Hedy',
  'Guido',
  'Katherine',
  'Tim',
  'Sophie',
  'Edsger',
  'Joan',
  'Donald',
  'Mary',
  'John',
  'Annie',
  'Bjarne',
  'Evelyn',
  'Yukihiro',
  'Lynn',
  'Niklaus',
  'Shafi',
  'Whitfield',
  'Carol',
  'Leslie',
  'Adele',
  'Rasmus',
  'Jean',
  'Brendan',
  'Anita',
  'Larry',
  'Ida',
  'Robin',
  'Elena',
  'Marco',
  'Priya',
  'Kwame',
  'Noor',
  'Mateo',
  'Hana',
  'Olu',
  'Ingrid',
  'Tariq',
];
export const LAST = [
  'Lovelace',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Liskov',
  'Thompson',
  'Perlman',
  'Turing',
  'Allen',
  'Ritchie',
  'Lamarr',
  'van Rossum',
  'Johnson',
  'Berners-Lee',
  'Wilson',
  'Dijkstra',
  'Clarke',
  'Knuth',
  'Keller',
  'McCarthy',
  'Easley',
  'Stroustrup',
  'Boyd',
  'Matsumoto',
  'Conway',
  'Wirth',
  'Goldwasser',
  'Diffie',
  'Shaw',
  'Lamport',
  'Goldberg',
  'Lerdorf',
  'Sammet',
  'Eich',
  'Borg',
  'Page',
  'Rhodes',
  'Milner',
  'Duarte',
  'Rossi',
  'Raman',
  'Mensah',
  'Haddad',
  'Silva',
  'Sato',
];

/** Board topics, with words for pin titles. */
export const TOPICS: Array<{ board: string; things: string[]; moods: string[] }> = [
  {
    board: 'Kitchen ideas',
    things: ['open shelves', 'copper pans', 'terrazzo counter', 'herb wall', 'pantry'],
    moods: ['Sunny', 'Tiny', 'Rustic', 'Green'],
  },
  {
    board: 'Tiny houses',
    things: ['cabin', 'loft bed', 'tiny house', 'tree house', 'A-frame'],
    moods: ['Forest', 'Lakeside', 'Cozy', 'Off-grid'],
  },
  {
    board: 'Brutalism',
    things: ['stairwell', 'concrete tower', 'library', 'housing block', 'chapel'],
    moods: ['Raw', 'Monumental', 'Quiet', 'Grey'],
  },
  {
    board: 'Moss & ferns',
    things: ['moss garden', 'fern wall', 'terrarium', 'kokedama', 'forest floor'],
    moods: ['Kyoto', 'Misty', 'Deep green', 'Tiny'],
  },
  {
    board: 'Night trains',
    things: ['sleeper car', 'station', 'dining car', 'timetable', 'platform'],
    moods: ['Midnight', 'Alpine', 'Vintage', 'Snowy'],
  },
  {
    board: 'Sourdough',
    things: ['loaf', 'crumb shot', 'starter', 'focaccia', 'bagels'],
    moods: ['Open', 'Rye', 'Sunday', 'Seeded'],
  },
  {
    board: 'Type specimens',
    things: ['poster', 'specimen', 'grotesk', 'serif', 'lettering'],
    moods: ['Swiss', 'Bold', 'Hand-set', 'Modular'],
  },
  {
    board: 'Ceramics',
    things: ['bowls', 'vase', 'glaze tests', 'mugs', 'teapot'],
    moods: ['Speckled', 'Celadon', 'Wabi-sabi', 'Blue'],
  },
  {
    board: 'Bike touring',
    things: ['gravel route', 'handlebar bag', 'camp spot', 'mountain pass', 'tandem'],
    moods: ['Dusty', 'Coastal', 'Long', 'Overnight'],
  },
  {
    board: 'Mid-century chairs',
    things: ['lounge chair', 'shell chair', 'rocker', 'stool', 'sofa'],
    moods: ['Walnut', 'Teak', 'Danish', 'Mustard'],
  },
  {
    board: 'Street food',
    things: ['dumplings', 'tacos', 'noodle stall', 'skewers', 'bao'],
    moods: ['Late-night', 'Spicy', 'Market', 'Crispy'],
  },
  {
    board: 'Coastlines',
    things: ['cliffs', 'lighthouse', 'tide pools', 'harbour', 'dunes'],
    moods: ['Stormy', 'Golden hour', 'Northern', 'Foggy'],
  },
  {
    board: 'Desk setups',
    things: ['keyboard', 'desk', 'monitor arm', 'cable tray', 'lamp'],
    moods: ['Minimal', 'Split', 'Standing', 'Warm'],
  },
  {
    board: 'Watercolour',
    things: ['sketchbook', 'palette', 'botanicals', 'skies', 'city sketch'],
    moods: ['Loose', 'Wet', 'Pocket', 'Pastel'],
  },
  {
    board: 'Knitting',
    things: ['sweater', 'socks', 'colourwork', 'shawl', 'yarn stash'],
    moods: ['Fair Isle', 'Chunky', 'Lace', 'Mossy'],
  },
  {
    board: 'Houseplants',
    things: ['monstera', 'pilea', 'propagation', 'plant shelf', 'cactus'],
    moods: ['Jungle', 'Windowsill', 'Hanging', 'Variegated'],
  },
];

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Weighted sampling of `k` distinct indexes. */
export function sampleWeighted(
  random: () => number,
  weights: readonly number[],
  k: number,
  exclude: number,
): number[] {
  const chosen = new Set<number>();
  const total = weights.reduce((sum, w, i) => (i === exclude ? sum : sum + w), 0);
  let guard = 0;
  while (chosen.size < k && guard++ < k * 50) {
    let r = random() * total;
    for (let i = 0; i < weights.length; i++) {
      if (i === exclude) continue;
      r -= weights[i]!;
      if (r <= 0) {
        chosen.add(i);
        break;
      }
    }
  }
  return [...chosen];
}
