// asl-validator 4 ships no type declarations.
declare module 'asl-validator' {
  export default function validator(definition: unknown): { isValid: boolean; errors: unknown[] };
}
