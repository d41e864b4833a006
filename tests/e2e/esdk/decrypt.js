// Decrypts field-level encryption values with the AWS Encryption SDK for
// JavaScript (a raw RSA keyring: OAEP with SHA-256, the provider as key
// namespace, the public key name as key name), as the Developer Guide's
// "Decrypting data fields at your origin" does with the Java SDK.
// Usage: node decrypt.js PRIVATE_KEY_PEM_FILE PROVIDER KEY_NAME  (base64 messages on stdin, one a line)
const fs = require('fs')
const { RawRsaKeyringNode, buildClient, CommitmentPolicy } = require('@aws-crypto/client-node')
const { decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT)
const [pemFile, provider, keyName] = process.argv.slice(2)
const keyring = new RawRsaKeyringNode({
  keyName, keyNamespace: provider,
  rsaKey: { privateKey: fs.readFileSync(pemFile, 'utf8') },
  padding: require('crypto').constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256',
})
;(async () => {
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter(Boolean)
  for (const l of lines) {
    const { plaintext } = await decrypt(keyring, Buffer.from(l, 'base64'))
    process.stdout.write(plaintext.toString('base64') + '\n')
  }
})().catch(e => { console.error(e.stack || String(e)); process.exit(1) })
