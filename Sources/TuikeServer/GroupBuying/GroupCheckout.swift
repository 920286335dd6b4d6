import TuikeCore
import TuikeStore

/// Opening and joining a group, for the API and the storefront alike: the buyer's order (at the
/// leader's or the members' price, attributed like any order) and the slot it takes.
struct GroupCheckout: Sendable {
    let placement: OrderPlacement
    let groups: GroupRepository
    let campaigns: GroupCampaignRepository

    /// `sku` and `shippingAddress` are for a group buy of goods (a variant, and where it goes);
    /// `ip` and `deviceID` are where the buyer came from, for the risk signals.
    func open(_ campaign: GroupCampaign, buyerID: String, visitorID: String?, clickID: String? = nil, sku: String? = nil,
              shippingAddress: ShippingAddress? = nil, ip: String? = nil, deviceID: String? = nil, at now: Instant) async throws -> (group: Group, order: Order) {
        let prepared = try await placement.prepare(.init(
            buyerID: buyerID, items: [.init(productID: campaign.productID, quantity: 1, sku: sku)], shippingAddress: shippingAddress,
            visitorID: visitorID, clickID: clickID,
            unitPrice: campaign.price(leader: true), groupID: Identifier.make("grp", at: now), ip: ip, deviceID: deviceID), at: now)
        return (try await groups.open(campaign: campaign, order: prepared.order, at: now), prepared.order)
    }

    func join(groupID: String, buyerID: String, visitorID: String?, clickID: String? = nil, sku: String? = nil,
              shippingAddress: ShippingAddress? = nil, ip: String? = nil, deviceID: String? = nil, at now: Instant) async throws -> (group: Group, order: Order) {
        guard let group = try await groups.find(groupID), let campaign = try await campaigns.find(group.campaignID) else {
            throw TuikeError.notFound("group", groupID)
        }
        let prepared = try await placement.prepare(.init(
            buyerID: buyerID, items: [.init(productID: campaign.productID, quantity: 1, sku: sku)], shippingAddress: shippingAddress,
            visitorID: visitorID, clickID: clickID, unitPrice: campaign.price(leader: false), groupID: groupID,
            ip: ip, deviceID: deviceID), at: now)
        return (try await groups.join(groupID: groupID, order: prepared.order, at: now), prepared.order)
    }
}
