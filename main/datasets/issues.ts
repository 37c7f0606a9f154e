/**
 * Per-file problems found while indexing or validating a dataset. Codes are stable
 * strings (the UI groups and filters by them); messages name the file and the problem.
 */
export const ISSUE_CODES = [
  /** Cannot be opened or listed (permissions, dangling link, not a regular file). */
  'unreadable',
  /** The image or label stops before its end (partial copy, interrupted download). */
  'truncated',
  /** Zero bytes long. */
  'empty',
  /** The label's width/height differ from its image's. */
  'size_mismatch',
  /** Label pixels with values the format does not define; they are treated as ignore (255). */
  'unknown_label_values',
  /** Not a PNG/JPEG/WebP image where one is expected (or content that does not match its extension). */
  'not_an_image',
  /** An image of a labelled format with no label file. */
  'missing_label',
  /** A label file with no image. */
  'missing_image',
  /** More than one label file matches an image equally well; none is attached. */
  'ambiguous_label',
  /** A symbolic link back to a folder already indexed (a loop or a duplicate). */
  'symlink_loop',
  /** A symbolic link that leaves the dataset folder; frames must stay inside it. */
  'outside_root',
  /** A file or folder name that is not valid UTF-8 (or holds a backslash); it cannot be indexed by name. */
  'bad_name',
  /** Width x height above the decode limit (imageLimits.ts): a decompression bomb, or not a frame. */
  'too_large',
] as const;

export type IssueCode = (typeof ISSUE_CODES)[number];

export interface FileIssue {
  readonly relPath: string;
  readonly code: IssueCode;
  readonly message: string;
}

export function issue(relPath: string, code: IssueCode, problem: string): FileIssue {
  return { relPath, code, message: `${relPath}: ${problem}` };
}
