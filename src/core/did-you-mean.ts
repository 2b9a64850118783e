/** Did-you-mean suggestions live in runtime/ (the runtime names fragments too); re-exported for src/ and languages/. */
export { didYouMean, editDistance, nearest } from "../../runtime/abi/did-you-mean.js";
