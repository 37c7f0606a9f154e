export * from './confusion';
export * from './scores';
export * from './bootstrap';
export * from './verdict';
export * from './rng';
