// A real OpenID Connect provider for the browser tests: the certified `oidc-provider` package
// (npm), with its development sign-in pages, in which any login is accepted and becomes the
// account's `sub` and its verified e-mail address.
//
//   node e2e/oidc-provider.mjs PORT REDIRECT_URI CLIENT_SECRET
//
// Prints "oidc-provider listening on ISSUER" once it serves.
import Provider from 'oidc-provider'

const [port, redirectUri, clientSecret] = process.argv.slice(2)
const issuer = `http://127.0.0.1:${port}`

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'townhall',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic'
  }],
  pkce: { required: () => true },
  // The e-mail address in the ID token itself, as Entra ID and Google put it there.
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount (ctx, id) {
    return {
      accountId: id,
      async claims () {
        return { sub: id, email: id, email_verified: true, name: `Person ${id}` }
      }
    }
  },
  cookies: { keys: ['townhall-e2e-cookie-key'] }
})

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`)
})
