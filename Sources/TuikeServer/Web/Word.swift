/// Every word the pages say, in both languages (`Strings`): code names a word by its case, so a
/// word without a translation fails a test, and a misspelt one fails the build.
enum Word: String, CaseIterable, Sendable {
    case shop
    case courses
    case buy
    case price
    case groupBuy = "group_buy"
    case groupPrice = "group_price"
    case leaderPrice = "leader_price"
    case openGroup = "open_group"
    case joinGroup = "join_group"
    case formingGroups = "forming_groups"
    case noGroups = "no_groups"
    case peopleGroup = "people_group"
    case members
    case slotsLeft = "slots_left"
    case people
    case endsIn = "ends_in"
    case group
    case statusPending = "status_pending"
    case statusForming = "status_forming"
    case statusSucceeded = "status_succeeded"
    case statusFailed = "status_failed"
    case statusCancelled = "status_cancelled"
    case share
    case copy
    case copied
    case leader
    case watchVideo = "watch_video"
    case posterHint = "poster_hint"
    case viewCourse = "view_course"
    case sharePage = "share_page"
    case notFound = "not_found"
    case back
    case english
    case chinese
    case live
    case from
    case homeTitle = "home_title"
    case sandboxNote = "sandbox_note"
    case portalLogin = "portal_login"
    case phone
    case password
    case login
    case logout
    case inviteCode = "invite_code"
    case pending
    case available
    case withdrawn
    case last30Days = "last_30_days"
    case clicks
    case orders
    case conversion
    case withdraw
    case amountYuan = "amount_yuan"
    case myLinks = "my_links"
    case materialCenter = "material_center"
    case materialHint = "material_hint"
    case myAccount = "my_account"
    case saveQR = "save_qr"
    case savePoster = "save_poster"
    case saveImage = "save_image"
    case openMaterials = "open_materials"
    case commissions
    case statements
    case gross
    case tax
    case net
    case withdrawals
    case team
    case incentives
    case points
    case badgeCoupon = "badge_coupon"
    case monthRank = "month_rank"
    case unranked
    case `none`
    case loginFailed = "login_failed"
    case loginThrottled = "login_throttled"
    case withdrawRequested = "withdraw_requested"
    case commissionPending = "commission_pending"
    case commissionHeld = "commission_held"
    case commissionSettled = "commission_settled"
    case commissionWithdrawn = "commission_withdrawn"
    case commissionReversed = "commission_reversed"
    case commissionRejected = "commission_rejected"
    case console
    case consoleLogin = "console_login"
    case username
    case paidOrders = "paid_orders"
    case commissionCost = "commission_cost"
    case days
    case funnel
    case topPromoters = "top_promoters"
    case withdrawalsQueue = "withdrawals_queue"
    case approve
    case reject
    case reason
    case applyTitle = "apply_title"
    case name
    case agreement
    case signature
    case appeal
    case appealHint = "appeal_hint"
    case appealSend = "appeal_send"
    case appeals
    case appealSent = "appeal_sent"
    case withdrawalRequested = "withdrawal_requested"
    case withdrawalApproved = "withdrawal_approved"
    case withdrawalPaid = "withdrawal_paid"
    case withdrawalFailed = "withdrawal_failed"
    case withdrawalRejected = "withdrawal_rejected"
    case appealOpen = "appeal_open"
    case appealAnswered = "appeal_answered"
    case apply
    case applied
    case appliedMessage = "applied_message"
    case appliedActiveMessage = "applied_active_message"
    case checkout
    case checkoutOrder = "checkout_order"
    case total
    case paySandbox = "pay_sandbox"
    case paidThanks = "paid_thanks", payWechat = "pay_wechat", scanWechat = "scan_wechat", payAlipay = "pay_alipay"
    case orderStatus = "order_status"
    case seeGroup = "see_group"
    case sandboxPayment = "sandbox_payment"
    case orderNotFound = "order_not_found"
    case navDashboard = "nav_dashboard"
    case navProducts = "nav_products"
    case navMaterials = "nav_materials"
    case navFulfilment = "nav_fulfilment"
    case navVideos = "nav_videos"
    case ship
    case receiveReturn = "receive_return"
    case refuse
    case toShip = "to_ship"
    case toShipNote = "to_ship_note"
    case downloadToShip = "download_to_ship"
    case importTracking = "import_tracking"
    case shipped
    case goods
    case shipTo = "ship_to"
    case parcels
    case afterSales = "after_sales"
    case buyerMessages = "buyer_messages"
    case channel
    case template
    case contentPerformance = "content_performance"
    case contentPerformanceNote = "content_performance_note"
    case video
    case plays
    case likes
    case comments
    case shares
    case videos
    case productIDs = "product_ids"
    case uploadImage = "upload_image"
    case uploadNote = "upload_note"
    case upload
    case imageFile = "image_file"
    case images
    case size
    case productMedia = "product_media"
    case productMediaNote = "product_media_note"
    case coverMediaID = "cover_media_id"
    case galleryIDs = "gallery_ids"
    case videoURL = "video_url"
    case posterTemplates = "poster_templates"
    case posterNote = "poster_note"
    case layout
    case brandColour = "brand_colour"
    case backgroundColour = "background_colour"
    case backgroundMediaID = "background_media_id"
    case copyLine = "copy_line"
    case copyTemplates = "copy_templates"
    case copyNote = "copy_note"
    case copyText = "copy_text"
    case allProducts = "all_products"
    case templateName = "template_name"
    case navSettings = "nav_settings"
    case navPromoters = "nav_promoters"
    case navGroups = "nav_groups"
    case navOrders = "nav_orders"
    case navSettlements = "nav_settlements"
    case navReconciliation = "nav_reconciliation"
    case navAppeals = "nav_appeals"
    case answer
    case adjustmentHint = "adjustment_hint"
    case commission
    case message
    case appealsNote = "appeals_note"
    case roleOwner = "role_owner"
    case roleFinance = "role_finance"
    case roleOperator = "role_operator"
    case forbidden
    case roleForbidden = "role_forbidden"
    case consoleLoginFailed = "console_login_failed"
    case why
    case noticeDone = "notice_done"
    case error
    case all
    case nextPage = "next_page"
    case create
    case save
    case show
    case yes
    case no
    case optional
    case status
    case created
    case amount
    case newProduct = "new_product"
    case productTitle = "product_title"
    case priceYuan = "price_yuan"
    case kind
    case stock
    case unlimited
    case description
    case archive
    case activate
    case kindCourse = "kind_course"
    case kindPhysical = "kind_physical"
    case kindService = "kind_service"
    case settingsNote = "settings_note"
    case levels
    case campaignLevels = "campaign_levels"
    case campaignProduct = "campaign_product"
    case ruleType = "rule_type"
    case rulePercent = "rule_percent"
    case ruleFixed = "rule_fixed"
    case maxTotalBps = "max_total_bps"
    case attributionModel = "attribution_model"
    case modelFirstClick = "model_first_click"
    case modelLastClick = "model_last_click"
    case modelLinear = "model_linear"
    case windowDays = "window_days"
    case bindingDays = "binding_days"
    case freezeDays = "freeze_days"
    case settlementCycle = "settlement_cycle"
    case cycleWeekly = "cycle_weekly"
    case cycleMonthly = "cycle_monthly"
    case timeZone = "time_zone"
    case taxMode = "tax_mode"
    case taxNone = "tax_none"
    case taxPrcLabor = "tax_prc_labor"
    case minWithdrawal = "min_withdrawal"
    case feeBps = "fee_bps"
    case channels
    case autoApprove = "auto_approve"
    case orderTimeout = "order_timeout"
    case autoReceiveDays = "auto_receive_days"
    case afterSaleDays = "after_sale_days"
    case applications
    case appliedAt = "applied_at"
    case approveApplication = "approve_application"
    case suspend
    case reactivate
    case rank
    case upline
    case newCampaign = "new_campaign"
    case product
    case groupSize = "group_size"
    case groupPriceYuan = "group_price_yuan"
    case leaderPriceYuan = "leader_price_yuan"
    case durationHours = "duration_hours"
    case perUserLimit = "per_user_limit"
    case virtualSuccess = "virtual_success"
    case groupsOpened = "groups_opened"
    case successRate = "success_rate"
    case newBuyers = "new_buyers"
    case refunds
    case reserved
    case expires
    case finished
    case pause
    case resume
    case retry
    case groupRefunds = "group_refunds"
    case lastError = "last_error"
    case order
    case items
    case buyer
    case refunded
    case promoter
    case refund
    case refundReason = "refund_reason"
    case runSettlement = "run_settlement"
    case settlementNote = "settlement_note"
    case settle
    case periodEnd = "period_end"
    case promoters
    case trigger
    case triggerManual = "trigger_manual"
    case triggerScheduled = "trigger_scheduled"
    case downloadStatements = "download_statements"
    case rangeFrom = "range_from"
    case rangeTo = "range_to"
    case figures
    case figure
    case checks
    case check
    case journal
    case operational
    case agrees
    case mismatch
    case consistent
    case inconsistent
    case downloads
    case downloadsNote = "downloads_note"
    case csvCommissions = "csv_commissions"
    case csvSettlements = "csv_settlements"
    case csvStatements = "csv_statements"
    case csvWithdrawals = "csv_withdrawals"
    case figureRevenue = "figure_revenue"
    case figureRefunds = "figure_refunds"
    case figureNetRevenue = "figure_net_revenue"
    case figureTaxWithheld = "figure_tax_withheld"
    case figurePayouts = "figure_payouts"
    case figurePayoutFees = "figure_payout_fees"
    case figureAdjustments = "figure_adjustments"
    case figureCommissionsEarned = "figure_commissions_earned"
    case figureCommissionsReversed = "figure_commissions_reversed"
    case figureCommissionsSettled = "figure_commissions_settled"
    case checkPayments = "check_payments"
    case checkRefunds = "check_refunds"
    case checkTaxWithheld = "check_tax_withheld"
    case checkPayouts = "check_payouts"
    case checkPayoutFees = "check_payout_fees"
    case checkPendingCommissions = "check_pending_commissions"
    case checkWithdrawalsInFlight = "check_withdrawals_in_flight"
    case checkJournalTotal = "check_journal_total"
    case stateActive = "state_active"
    case stateArchived = "state_archived"
    case stateApplied = "state_applied"
    case stateSuspended = "state_suspended"
    case stateRejected = "state_rejected"
    case stateTerminated = "state_terminated"
    case statePendingPayment = "state_pending_payment"
    case statePaid = "state_paid"
    case statePartiallyRefunded = "state_partially_refunded"
    case stateRefunded = "state_refunded"
    case stateCancelled = "state_cancelled"
    case stateForming = "state_forming"
    case stateSucceeded = "state_succeeded"
    case stateFailed = "state_failed"
    case statePending = "state_pending"
    case statePaused = "state_paused"
    case heldReason = "held_reason"
    case riskSelfPurchaseIP = "risk_self_purchase_ip"
    case riskSelfPurchaseDevice = "risk_self_purchase_device"
    case riskClickFlood = "risk_click_flood"
    case riskConversionAnomaly = "risk_conversion_anomaly"
    case riskRefundAbuse = "risk_refund_abuse"
    case riskSharedDeviceGroup = "risk_shared_device_group"
    case riskSharedPayoutAccount = "risk_shared_payout_account"
    case riskNewPromoterBurst = "risk_new_promoter_burst"
    case navRisk = "nav_risk"
    case riskReviewHours = "risk_review_hours"
    case reviewDue = "review_due"
    case overdue
    case riskCase = "risk_case"
    case riskRules = "risk_rules"
    case riskQueue = "risk_queue"
    case riskQueueNote = "risk_queue_note"
    case riskCaseNote = "risk_case_note"
    case signals
    case score
    case evidence
    case heldCommissions = "held_commissions"
    case release
    case level
    case mode
    case threshold
    case weight
    case unit
    case version
    case riskRulesNote = "risk_rules_note"
    case exclusions
    case exclusionsNote = "exclusions_note"
    case exclude
    case promoterID = "promoter_id"
    case riskModeOff = "risk_mode_off"
    case riskModeShadow = "risk_mode_shadow"
    case riskModeHold = "risk_mode_hold"
    case riskCaseOpen = "risk_case_open"
    case riskCaseRecorded = "risk_case_recorded"
    case riskCaseReleased = "risk_case_released"
    case riskCaseRejected = "risk_case_rejected"
    case riskUnitSelfPurchaseIP = "risk_unit_self_purchase_ip"
    case riskUnitSelfPurchaseDevice = "risk_unit_self_purchase_device"
    case riskUnitClickFlood = "risk_unit_click_flood"
    case riskUnitConversionAnomaly = "risk_unit_conversion_anomaly"
    case riskUnitRefundAbuse = "risk_unit_refund_abuse"
    case riskUnitSharedDeviceGroup = "risk_unit_shared_device_group"
    case riskUnitSharedPayoutAccount = "risk_unit_shared_payout_account"
    case riskUnitNewPromoterBurst = "risk_unit_new_promoter_burst"
    case navAnalytics = "nav_analytics"
    case spreadTree = "spread_tree"
    case simulator
    case views
    case visitors
    case paid
    case step
    case value
    case downloadCSV = "download_csv"
    case analyticsNote = "analytics_note"
    case leaderboardMonth = "leaderboard_month"
    case gmv
    case roi
    case costPerOrder = "cost_per_order"
    case promoterShare = "promoter_share"
    case spreadNote = "spread_note"
    case hotNodes = "hot_nodes"
    case generation
    case buyers
    case reach
    case estimateR = "estimate_r"
    case forecast
    case forecastNote = "forecast_note"
    case backtest
    case predicted
    case actual
    case simulatorNote = "simulator_note"
    case netOfRefunds = "net_of_refunds"
    case monthEndAdjustments = "month_end_adjustments"
    case compliant
    case simulationResult = "simulation_result"
    case biggestChanges = "biggest_changes"
    case currentCost = "current_cost"
    case simulatedCost = "simulated_cost"
    case change
    case navPayments = "nav_payments"
    case paymentsNote = "payments_note"
    case wechatPaySettings = "wechat_pay_settings"
    case alipaySettings = "alipay_settings"
    case providerConfigured = "provider_configured"
    case providerNotConfigured = "provider_not_configured"
    case notifyURL = "notify_url"
    case removeProvider = "remove_provider"
}
