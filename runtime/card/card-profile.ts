/**
 * What differs between campus card issuers, as data: how the purse application is selected, how the card wants the
 * PIN, and where the holder fields sit in EF 0x16 (no standard fixes that layout). The protocol in purse.ts is the same
 * for all of them.
 */
export type PurseSelection =
  | { by: 'aid'; aid: string }
  /** FIDs selected one after another (P1 = 00), e.g. 3F01, 1001, DF03. */
  | { by: 'fid-path'; path: string[] };

export interface TextField { offset: number; length: number }

export interface HolderLayout {
  /** Bytes READ BINARY asks for from EF 0x16. */
  length: number;
  /** Text is padded with 00 (some issuers use 20 or FF; all three are trimmed). */
  name: TextField & { encoding: 'utf8' | 'gbk' };
  staffNo: TextField;
  /** One byte; null when the issuer stores none. */
  idType: { offset: number } | null;
}

export interface CardProfile {
  name: string;
  selection: PurseSelection;
  /** bcd: digits packed two per byte, padded with F (123456 -> 12 34 56); ascii: one byte per digit. */
  pinEncoding: 'bcd' | 'ascii';
  holder: HolderLayout;
}

/** This project's cards (and the virtual card): AID selection, BCD PIN, name(20 UTF-8) | number(20 ASCII) | id type(1). */
export const CAMPUS_CARD_PROFILE: CardProfile = {
  name: 'campus',
  selection: { by: 'aid', aid: 'A00000000386980701' },
  pinEncoding: 'bcd',
  holder: {
    length: 41,
    name: { offset: 0, length: 20, encoding: 'utf8' },
    staffNo: { offset: 20, length: 20 },
    idType: { offset: 40 },
  },
};
